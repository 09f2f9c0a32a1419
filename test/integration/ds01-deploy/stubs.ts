// Stand-ins, in the root's /usr/local/sbin (first on root's PATH), for what
// cannot run in a chroot: systemd as PID 1 (start/restart/is-active), docker,
// udevadm, and installs from the network (apt-get, pip3). Everything else --
// systemctl enable/is-enabled (offline), visudo, python3, dpkg -- is the
// root's own tool. Runtime systemctl calls are logged to /run/stub-systemd/log
// so a test can count handler runs.

export const STUBS: Record<string, string> = {
  systemctl: `#!/bin/sh
# Test stub: no systemd as PID 1 here. Unit-file verbs go to the root's own
# systemctl (offline in a chroot); runtime verbs are logged and remembered.
state=/run/stub-systemd
mkdir -p "$state"
verb=""; units=""; now=""; pass=""
for a in "$@"; do
  case "$a" in
    --now) now=1 ;;
    -*) pass="$pass $a" ;;
    *) if [ -z "$verb" ]; then verb="$a"; else units="$units $a"; fi ;;
  esac
done
norm() { case "$1" in *.*) echo "$1" ;; *) echo "$1.service" ;; esac; }
case "$verb" in
  start|restart|try-restart|reload|stop|daemon-reload)
    echo "$verb$units" >> "$state/log"
    if [ "$verb" = start ] || [ "$verb" = restart ]; then
      for u in $units; do touch "$state/active.$(norm "$u")"; done
    fi
    exit 0 ;;
  is-active)
    for u in $units; do
      if [ ! -e "$state/active.$(norm "$u")" ]; then echo inactive; exit 3; fi
    done
    echo active; exit 0 ;;
  status) exit 3 ;;
esac
/usr/bin/systemctl $pass "$verb" $units
rc=$?
if [ -n "$now" ] && [ "$rc" = 0 ]; then
  echo "start$units" >> "$state/log"
  for u in $units; do touch "$state/active.$(norm "$u")"; done
fi
exit $rc
`,
  docker: `#!/bin/sh
# Test stub: a docker daemon using the systemd cgroup driver.
case "$*" in
  *CgroupDriver*) echo systemd ;;
  *CgroupVersion*) echo 2 ;;
esac
exit 0
`,
  udevadm: `#!/bin/sh
# Test stub: no udev daemon in a chroot.
mkdir -p /run/stub-systemd && echo "udevadm $*" >> /run/stub-systemd/log
exit 0
`,
  'apt-get': `#!/bin/sh
# Test stub for network installs: each package is a tiny .deb built here and
# installed with the root's own dpkg, so dpkg-query sees it afterwards.
[ "$1" = install ] || { echo "apt-get stub: only 'install'" >&2; exit 100; }
shift
for p in "$@"; do
  case "$p" in -*) continue ;; esac
  d=$(mktemp -d)
  mkdir -p "$d/DEBIAN"
  printf 'Package: %s\\nVersion: 0-stub\\nArchitecture: all\\nMaintainer: test <test@example.org>\\nDescription: stub of %s\\n' "$p" "$p" > "$d/DEBIAN/control"
  case "$p" in
    at)
      mkdir -p "$d/usr/bin" "$d/lib/systemd/system"
      printf '#!/bin/sh\\nexit 0\\n' > "$d/usr/bin/at"; chmod 0755 "$d/usr/bin/at"
      printf '[Unit]\\nDescription=stub atd\\n[Service]\\nExecStart=/bin/true\\n[Install]\\nWantedBy=multi-user.target\\n' > "$d/lib/systemd/system/atd.service" ;;
    python3-docker)
      mkdir -p "$d/usr/lib/python3/dist-packages/docker"
      : > "$d/usr/lib/python3/dist-packages/docker/__init__.py" ;;
  esac
  dpkg-deb --root-owner-group -b "$d" "$d.deb" >/dev/null && dpkg -i "$d.deb" >/dev/null || exit 100
  rm -rf "$d" "$d.deb"
done
exit 0
`,
  pip3: `#!/bin/sh
# Test stub for a network install: 'pip3 install docker' as root.
[ "$1" = install ] || exit 1
for p in "$@"; do
  [ "$p" = docker ] || continue
  dir=$(python3 -c 'import sysconfig; print(sysconfig.get_path("purelib", "posix_local"))' 2>/dev/null || echo /usr/local/lib/python3/dist-packages)
  mkdir -p "$dir/docker" && : > "$dir/docker/__init__.py"
done
exit 0
`,
};
