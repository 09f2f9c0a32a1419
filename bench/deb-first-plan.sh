#!/usr/bin/env bash
# Benchmark: from `apt-get install ./reconcile_<version>_all.deb` to the first
# plan, in a fresh copy of the full Debian test root (Debian's nodejs comes
# from its apt cache). Prints the package size and the times; not a test.
#
#   npm run package && sudo bash bench/deb-first-plan.sh [dist/reconcile_*.deb]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
debs=("$repo"/dist/reconcile_*_all.deb)
deb="${1:-${debs[-1]}}"
tarball="${RECONCILE_DEBIAN_FULL_ROOT_TARBALL:-/var/cache/reconcile-test/debian-bookworm-amd64-full-v3.tar.gz}"
[[ -s "$deb" ]] || { echo "no .deb: run npm run package" >&2; exit 1; }
[[ -s "$tarball" ]] || { echo "no full Debian root at $tarball: bash scripts/debian-test-root.sh full" >&2; exit 1; }

root="$(mktemp -d /tmp/reconcile-deb-bench.XXXXXX)"
cleanup() { umount "$root/proc" 2>/dev/null || true; rm -rf "$root"; }
trap cleanup EXIT
tar -C "$root" --numeric-owner -xzf "$tarball"
mount -t proc proc "$root/proc"
cp "$deb" "$root/tmp/"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C DEBIAN_FRONTEND=noninteractive "$@"; }
in_root groupadd docker

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
t0=$(now)
in_root sh -c "cd /tmp && apt-get install -y -q --no-install-recommends ./$(basename "$deb")" >/dev/null 2>&1
t1=$(now)
rc=0
in_root reconcile --plan --desired /usr/share/reconcile/desired-state/ds01.yaml >/dev/null || rc=$?
t2=$(now)
# dpkg -i alone, nodejs already there: reinstall the same package.
t3=$(now)
in_root dpkg -i "/tmp/$(basename "$deb")" >/dev/null 2>&1
in_root reconcile --plan --desired /usr/share/reconcile/desired-state/ds01.yaml >/dev/null || true
t4=$(now)

printf 'package: %s, %s KiB (installed %s KiB)\n' "$(basename "$deb")" "$(du -k "$deb" | cut -f1)" "$(dpkg-deb -f "$deb" Installed-Size)"
printf 'apt-get install (with nodejs from the cache): %s s; first --plan: %s s (exit %s); install to first plan: %s s\n' \
  "$(secs "$t0" "$t1")" "$(secs "$t1" "$t2")" "$rc" "$(secs "$t0" "$t2")"
printf 'dpkg -i (nodejs already installed) then first --plan: %s s\n' "$(secs "$t3" "$t4")"
printf 'load: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
