#!/usr/bin/env bash
# Builds dist/reconcile_<version>_all.deb with Debian's own tools (dpkg-deb,
# then lintian, which must report no errors) from the built bundle:
#
#   npm run package          # = npm run build && bash scripts/build-deb.sh
#
# Layout: the bundle and its data in /usr/share/reconcile (package.json there
# is how the bundle finds schema/ and rules/, and its version), /usr/bin/reconcile
# a link to the bundle, the admin's empty /etc/reconcile/desired-state/, the
# nightly check as a cron.d file (a conffile) and as a systemd service and
# timer that the package does not enable, bash completion, reconcile(8) from
# packaging/deb/reconcile.8.md. Depends on the distribution's own nodejs.
#
#   DEB_MAINTAINER     Maintainer field (default: the project's)
#   SOURCE_DATE_EPOCH  timestamps inside the package (default: last commit)
#   RECONCILE_LINTIAN=0  skip lintian (it needs a minute on a busy machine)
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
say() { printf 'build-deb: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

for tool in dpkg-deb pandoc gzip node; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is missing (apt-get install dpkg-dev pandoc)"
done
[[ -s dist/bundle/reconcile.cjs ]] || die "dist/bundle/reconcile.cjs is missing: run \`npm run build\` first (or \`npm run package\`)"

version="$(node -p 'require("./package.json").version')"
maintainer="${DEB_MAINTAINER:-reconcile maintainers <maintainers@users.noreply.r-seed-fcb3e785.example>}"
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}"
deb="dist/reconcile_${version}_all.deb"

stage="$(mktemp -d "${TMPDIR:-/tmp}/reconcile-deb.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
pkg="$stage/pkg"
umask 022

share="$pkg/usr/share/reconcile"
doc="$pkg/usr/share/doc/reconcile"
install -d "$pkg/DEBIAN" "$pkg/usr/bin" "$share" "$doc/examples" \
  "$pkg/etc/reconcile/desired-state" "$pkg/etc/cron.d" "$pkg/lib/systemd/system" \
  "$pkg/usr/share/bash-completion/completions" "$pkg/usr/share/man/man8"

# The bundle, run by Debian's node without a PATH lookup (a root tool).
cp -r dist/bundle "$share/bundle"
rm -f "$share/bundle/meta.json" "$share/bundle/THIRD-PARTY-LICENSES"
sed -i '1s|^#!/usr/bin/env node$|#!/usr/bin/node|' "$share/bundle/reconcile.cjs"
chmod 0755 "$share/bundle/reconcile.cjs"
ln -s ../share/reconcile/bundle/reconcile.cjs "$pkg/usr/bin/reconcile"
node -e '
  const p = require("./package.json");
  const out = { name: p.name, version: p.version, description: p.description, license: p.license, type: p.type };
  process.stdout.write(JSON.stringify(out, null, 2) + "\n");
' >"$share/package.json"
cp -r schema rules "$share/"
cp -r desired-state "$share/desired-state"

# The nightly check. The conffile outlives `dpkg -r`: it must not fail once
# the command is gone.
sed -e 's|^\(.*\) root reconcile |\1 root [ -x /usr/bin/reconcile ] \&\& /usr/bin/reconcile |' \
  packaging/cron.d/reconcile-check >"$pkg/etc/cron.d/reconcile-check"
grep -q 'root \[ -x /usr/bin/reconcile \] && /usr/bin/reconcile --check' "$pkg/etc/cron.d/reconcile-check" ||
  die "packaging/cron.d/reconcile-check: no 'root reconcile --check' line to point at /usr/bin/reconcile"
for unit in reconcile-check.service reconcile-check.timer; do
  sed -e 's|/usr/local/bin/reconcile|/usr/bin/reconcile|g' "packaging/systemd/$unit" >"$pkg/lib/systemd/system/$unit"
done
install -m 0644 packaging/deb/reconcile.bash-completion "$pkg/usr/share/bash-completion/completions/reconcile"

# reconcile(8), from its markdown source.
date_text="$(date -u -d "@$SOURCE_DATE_EPOCH" '+%B %Y')"
sed -e "s|@VERSION@|$version|g" -e "s|@DATE@|$date_text|g" packaging/deb/reconcile.8.md |
  pandoc --standalone --from markdown-smart --to man |
  gzip -9n >"$pkg/usr/share/man/man8/reconcile.8.gz"

install -m 0644 packaging/deb/copyright "$doc/copyright"
gzip -9n <dist/bundle/THIRD-PARTY-LICENSES >"$doc/THIRD-PARTY-LICENSES.gz"
install -m 0644 packaging/prometheus/reconcile-alerts.yml "$doc/examples/reconcile-alerts.yml"
{
  printf 'reconcile (%s) unstable; urgency=medium\n\n' "$version"
  printf '  * Built from the reconcile repository; its history is the changelog.\n\n'
  printf ' -- %s  %s\n' "$maintainer" "$(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$doc/changelog.gz"

find "$pkg" -type d -exec chmod 0755 {} +
find "$pkg" -type f ! -path "$pkg/DEBIAN/*" ! -name reconcile.cjs -exec chmod 0644 {} +
(cd "$pkg" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum) >"$pkg/DEBIAN/md5sums"
echo /etc/cron.d/reconcile-check >"$pkg/DEBIAN/conffiles"
installed_size="$(du -sk --apparent-size --exclude=DEBIAN "$pkg" | cut -f1)"
sed -e "s|@VERSION@|$version|" -e "s|@MAINTAINER@|$maintainer|" -e "s|@INSTALLED_SIZE@|$installed_size|" \
  packaging/deb/control.in >"$pkg/DEBIAN/control"
chmod 0644 "$pkg/DEBIAN/"*
# The load cache (src/model/load-cache.ts) is rebuilt on demand: it goes with the package.
cat >"$pkg/DEBIAN/postrm" <<'POSTRM'
#!/bin/sh
set -e
if [ "$1" = remove ] || [ "$1" = purge ]; then
  rm -rf /var/cache/reconcile
fi
POSTRM
chmod 0755 "$pkg/DEBIAN/postrm"
find "$pkg" -newermt "@$SOURCE_DATE_EPOCH" -exec touch --no-dereference --date="@$SOURCE_DATE_EPOCH" {} +

mkdir -p dist
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb.tmp" >/dev/null
mv "$deb.tmp" "$deb"
say "built $deb ($(du -k "$deb" | cut -f1) KiB, installed $installed_size KiB)"

if [[ "${RECONCILE_LINTIAN:-1}" != 0 ]]; then
  command -v lintian >/dev/null 2>&1 || die "lintian is missing (apt-get install lintian), or set RECONCILE_LINTIAN=0"
  lintian --fail-on error --tag-display-limit 0 "$deb" >&2 || die "lintian reports errors in $deb"
  say "lintian: no errors"
fi
echo "$deb"
