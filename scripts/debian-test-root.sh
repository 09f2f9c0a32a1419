#!/usr/bin/env bash
# Build (or reuse) the cached minbase Debian root that test/integration/debian/
# runs reconcile against. Prints the tarball's path on the last line of stdout.
#
#   RECONCILE_DEBIAN_ROOT_TARBALL  where the tarball lives (default: under
#                                  /var/cache/reconcile-test, keyed by release
#                                  and RECIPE_VERSION; outside the checkout)
#   RECONCILE_DEBIAN_MIRROR        mirror URL (default: the one this machine's
#                                  apt sources use for its own release)
#   RECONCILE_DEBIAN_REBUILD=1     build even when the tarball exists
#
# Needs root (debootstrap, chroot, mknod). Installs debootstrap with apt-get
# when it is missing.
set -euo pipefail

# Bump when the recipe below changes, so old caches are not reused.
RECIPE_VERSION=3
# Profiles: "minbase" (default; what most suites need, small and quick to
# unpack) and "full": minbase plus what a whole DS01 deploy, the Debian package
# test and the fleet simulation meet on a real server (sudo/visudo, cron,
# systemd for systemctl --root, udev, python3-yaml, sshd, man, bubblewrap for
# generators), with apt lists and the nodejs .debs kept so `apt-get install ./reconcile_*.deb` resolves
# Debian's own nodejs without the network.
PROFILE="${1:-minbase}"
FULL_PACKAGES=sudo,cron,systemd,udev,python3,python3-yaml,openssh-server,man-db,iproute2,acl,attr,procps,bubblewrap
case "$PROFILE" in
  minbase | full) ;;
  *) echo "debian-test-root: unknown profile '$PROFILE' (minbase or full)" >&2; exit 1 ;;
esac
# minbase already has passwd (groupadd, useradd, gpasswd, grpck), login,
# util-linux (su), libc-bin (getent), bash and dash; listed so a change in
# Debian's priorities fails the build here rather than a test later.
NEEDED_TOOLS=(groupadd useradd gpasswd grpck getent su bash dash printenv mknod)

say() { printf 'debian-test-root: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

[[ -r /etc/os-release ]] || die "no /etc/os-release; cannot tell which Debian release to build"
# shellcheck disable=SC1091
. /etc/os-release
[[ "${ID:-}" == debian ]] || die "this machine runs '${ID:-unknown}', not Debian; the test root is built with Debian's own debootstrap and mirror"
release="${VERSION_CODENAME:?/etc/os-release has no VERSION_CODENAME}"
arch="$(dpkg --print-architecture)"

if [[ "$PROFILE" == full ]]; then
  tarball="${RECONCILE_DEBIAN_FULL_ROOT_TARBALL:-/var/cache/reconcile-test/debian-${release}-${arch}-full-v${RECIPE_VERSION}.tar.gz}"
else
  tarball="${RECONCILE_DEBIAN_ROOT_TARBALL:-/var/cache/reconcile-test/debian-${release}-${arch}-minbase-v${RECIPE_VERSION}.tar.gz}"
fi

if [[ -s "$tarball" && "${RECONCILE_DEBIAN_REBUILD:-0}" != 1 ]]; then
  say "reusing cached root $tarball ($(du -h "$tarball" | cut -f1))"
  echo "$tarball"
  exit 0
fi

[[ "$(id -u)" == 0 ]] || die "building the test root needs root (debootstrap, chroot, mknod); run as root or build once with sudo"

# The mirror this machine already uses for its own release: deb822 .sources
# stanzas first, then one-line sources.list entries.
find_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -r "$f" ]] || continue
    awk -v rel="$release" '
      BEGIN { RS = ""; FS = "\n" }
      {
        uris = ""; suites = ""; types = ""
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/)   { uris = $i;   sub(/^URIs:[ \t]*/, "", uris) }
          if ($i ~ /^Suites:/) { suites = $i; sub(/^Suites:[ \t]*/, "", suites) }
          if ($i ~ /^Types:/)  { types = $i }
        }
        if (types !~ /(^|[ \t])deb([ \t]|$)/) next
        n = split(suites, s, /[ \t]+/)
        for (j = 1; j <= n; j++) if (s[j] == rel) { split(uris, u, /[ \t]+/); print u[1]; exit }
      }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -r "$f" ]] || continue
    # deb [options] URI SUITE COMPONENTS...
    awk -v rel="$release" '
      $1 == "deb" {
        i = 2
        if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
        if ($(i + 1) == rel) { print $i; exit }
      }' "$f"
  done
}

mirror="${RECONCILE_DEBIAN_MIRROR:-$(find_mirror | head -n1)}"
[[ -n "$mirror" ]] || die "no apt source for '$release' in /etc/apt/sources.list or /etc/apt/sources.list.d/; set RECONCILE_DEBIAN_MIRROR to a Debian mirror URL"

if ! command -v debootstrap >/dev/null 2>&1; then
  say "installing debootstrap with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends debootstrap >/dev/null 2>&1; then
    apt-get update -q >/dev/null
    apt-get install -y --no-install-recommends debootstrap >/dev/null
  fi
fi

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
keyring_args=()
[[ -r "$keyring" ]] && keyring_args=(--keyring "$keyring")

cache_dir="$(dirname "$tarball")"
mkdir -p "$cache_dir"
# One build at a time; a second caller waits and then reuses the result.
exec 9>"$tarball.lock"
flock 9
if [[ -s "$tarball" && "${RECONCILE_DEBIAN_REBUILD:-0}" != 1 ]]; then
  say "another build finished meanwhile: $tarball"
  echo "$tarball"
  exit 0
fi

work="$(mktemp -d "$cache_dir/build.XXXXXX")"
root="$work/root"
cleanup() {
  # debootstrap mounts proc/sys in the target; never rm -rf through a mount.
  local m
  awk -v r="$root" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/mounts | sort -r |
    while IFS= read -r m; do umount -l "$m" 2>/dev/null || true; done
  if ! awk -v r="$root" 'index($2, r) == 1 { found = 1 } END { exit !found }' /proc/mounts; then
    rm -rf "$work"
  fi
}
trap cleanup EXIT

start=$SECONDS
say "building $PROFILE $release ($arch) from $mirror into $root"
# attr (getfattr/setfattr): reconcile reads a file's ACLs and attributes before
# it rewrites it, and refuses to rewrite what it cannot see (the package
# depends on attr; a minbase root lacks it).
include_args=(--include=attr)
[[ "$PROFILE" == full ]] && include_args=(--include="$FULL_PACKAGES")
if ! debootstrap --variant=minbase --arch="$arch" "${keyring_args[@]}" "${include_args[@]}" \
    "$release" "$root" "$mirror" >"$work/debootstrap.log" 2>&1; then
  tail -n 30 "$work/debootstrap.log" >&2 || true
  [[ -r "$root/debootstrap/debootstrap.log" ]] && tail -n 30 "$root/debootstrap/debootstrap.log" >&2
  die "debootstrap failed (log above)"
fi

missing=()
for tool in "${NEEDED_TOOLS[@]}"; do
  # shellcheck disable=SC2016 # $1 is expanded by the root's sh, not here
  chroot "$root" /bin/sh -c 'command -v "$1" >/dev/null' sh "$tool" || missing+=("$tool")
done
((${#missing[@]} == 0)) || die "the built root lacks: ${missing[*]}; add the packages that carry them to the recipe and bump RECIPE_VERSION"

if [[ "$PROFILE" == full ]]; then
  # apt lists and Debian's nodejs (with its dependencies) in the archive cache:
  # installing a local .deb that depends on nodejs then needs no network.
  cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
  chroot "$root" apt-get update -q >"$work/apt.log" 2>&1 || { tail -n 20 "$work/apt.log" >&2; die "apt-get update in the root failed"; }
  chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --download-only --no-install-recommends nodejs >>"$work/apt.log" 2>&1 ||
    { tail -n 20 "$work/apt.log" >&2; die "downloading nodejs into the root failed"; }
  rm -rf "$root"/usr/share/doc/* "$root"/usr/share/locale/* "$root"/usr/share/info/*
else
  # Smaller tarball, faster extraction: nothing the tests read.
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/* "$root"/usr/share/info/*
fi

tar -C "$root" --numeric-owner -czf "$work/root.tar.gz" .
mv -f "$work/root.tar.gz" "$tarball"
say "built $tarball ($(du -h "$tarball" | cut -f1)) in $((SECONDS - start)) s"
echo "$tarball"
