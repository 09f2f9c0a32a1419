#!/usr/bin/env bash
# A fleet of simulated DS01 hosts on one machine, for the Ansible role's tests.
# Each host: its own network namespace (veth pair to a controller namespace,
# 10.213.N.2 <-> 10.213.N.1, addresses that exist only inside these
# namespaces), its own private mount and PID namespace holding a
# copy-on-write overlay over one prepared Debian root (so its own /etc, /dev
# nodes and state dir), and its own sshd. Everything it starts is recorded
# under WORK and `down` removes it by pid and name, also after a failure.
#
#   fleet-sim.sh seed WORK N STATE   # shape host N's upper layer (before up)
#   fleet-sim.sh up WORK COUNT       # namespaces, veths, overlays, sshds
#   fleet-sim.sh ctl WORK CMD...     # run CMD in the controller namespace
#   fleet-sim.sh down WORK           # stop sshds, delete namespaces
#
# WORK/base is the prepared lower root (sshd host keys, root's authorized_keys,
# nodejs); WORK/hosts/hN/{upper,work,merged} are created here.
set -euo pipefail

usage() { echo "usage: fleet-sim.sh seed|up|ctl|boot|down WORK ..." >&2; exit 1; }
[[ $# -ge 2 ]] || usage
cmd=$1
work=$(realpath "$2")
shift 2
# Namespace names are global: prefix them with this WORK's own name.
prefix="rcf-$(basename "$work" | tr -cd 'a-zA-Z0-9' | tail -c 8)"
ctl="$prefix-ctl"

host_dir() { echo "$work/hosts/h$1"; }

mount_overlay() { # N: the host's overlay at its merged dir, in the caller's (private) mount namespace
  local d
  d=$(host_dir "$1")
  mkdir -p "$d/upper" "$d/work" "$d/merged"
  mount -t overlay overlay -o "lowerdir=$work/base,upperdir=$d/upper,workdir=$d/work" "$d/merged"
}

case "$cmd" in
  seed)
    # Runs under `unshare --mount`: the overlay is mounted only for the
    # seeding, which leaves its result in the upper layer.
    n=$1 state=$2 reconcile=$3 desired=$4 examples=$5
    mount_overlay "$n"
    m="$(host_dir "$n")/merged"
    users="alice,bob,admin1,datasciencelab,h.baker@hertie-school.lan"
    converge() { "$reconcile" --apply --desired "$desired" --root "$m" >/dev/null; }
    case "$state" in
      incident-2) ;; # the base is the second incident: wrapper linked, video cut down to admin1
      incident-1)
        # The first incident: restrictive device files; video is complete.
        rm -f "$m/usr/local/bin/nvidia-smi"
        chroot "$m" gpasswd -M "$users" video >/dev/null
        i1="$examples/incident-1-device-permissions"
        cp -a "$i1/etc/modprobe.d/." "$m/etc/modprobe.d/"
        mkdir -p "$m/etc/udev/rules.d" "$m/var/lib/ds01"
        cp -a "$i1/etc/udev/rules.d/." "$m/etc/udev/rules.d/"
        cp -a "$i1/usr/sbin/ub-device-create" "$i1/usr/sbin/ub-device-create.original" "$m/usr/sbin/"
        cp -a "$i1/var/lib/ds01/gpu-inventory.cache" "$m/var/lib/ds01/"
        ;;
      converged) converge ;;
      wrapper-copied)
        converge
        cp "$m/opt/ds01-infra/scripts/admin/nvidia-wrapper.sh" "$m/usr/local/bin/nvidia-smi"
        ;;
      video-restricted)
        converge
        chroot "$m" gpasswd -M admin1 video >/dev/null
        ;;
      *) echo "fleet-sim: unknown state $state" >&2; exit 1 ;;
    esac
    umount "$m"
    ;;

  up)
    count=$1
    : >"$work/pids"
    ip netns add "$ctl"
    echo "$ctl" >"$work/netns"
    ip -n "$ctl" link set lo up
    for ((n = 1; n <= count; n++)); do
      ns="$prefix-h$n"
      ip netns add "$ns"
      echo "$ns" >>"$work/netns"
      ip -n "$ns" link set lo up
      # Made inside the controller namespace: no interface ever exists in the machine's own.
      ip -n "$ctl" link add "h$n" type veth peer name eth0 netns "$ns"
      ip -n "$ctl" addr add "10.213.$n.1/30" dev "h$n"
      ip -n "$ns" addr add "10.213.$n.2/30" dev eth0
      ip -n "$ctl" link set "h$n" up
      ip -n "$ns" link set eth0 up
      # unshare holds the namespaces; its child (PID 1 in the new PID namespace)
      # becomes sshd. Killing unshare kills sshd, and with it every session.
      setsid ip netns exec "$ns" unshare --pid --mount --propagation private --fork --kill-child \
        "$0" boot "$work" "$n" </dev/null >"$(host_dir "$n")/boot.log" 2>&1 &
      echo "$!" >>"$work/pids"
    done
    # Up when each sshd answers on port 22 (a few hundred ms in all).
    for ((n = 1; n <= count; n++)); do
      for ((try = 0; try < 100; try++)); do
        if ip netns exec "$ctl" bash -c "exec 3<>/dev/tcp/10.213.$n.2/22" 2>/dev/null; then break; fi
        sleep 0.05
      done
      ((try < 100)) || { echo "fleet-sim: host $n did not come up:" >&2; cat "$(host_dir "$n")/boot.log" >&2; exit 1; }
    done
    ;;

  boot)
    # PID 1 of the host's PID namespace, in its own mount and network namespace.
    n=$1
    mount_overlay "$n"
    m="$(host_dir "$n")/merged"
    mount -t proc proc "$m/proc"
    # The host's own basic device nodes (the nvidia ones are in the seeded base).
    for node in null:1:3 zero:1:5 random:1:8 urandom:1:9 tty:5:0; do
      IFS=: read -r name major minor <<<"$node"
      [[ -e "$m/dev/$name" ]] || { mknod -m 0666 "$m/dev/$name" c "$major" "$minor"; }
    done
    mount -t tmpfs -o mode=0755 tmpfs "$m/run"
    mkdir -m 0755 "$m/run/sshd"
    echo "h$n" >"$m/etc/hostname"
    exec chroot "$m" /usr/sbin/sshd -D -e -o UsePAM=no -o UseDNS=no -o PermitRootLogin=prohibit-password \
      -o PasswordAuthentication=no -o MaxSessions=50 -o MaxStartups=100 -o "ListenAddress=10.213.$n.2"
    ;;

  ctl)
    exec ip netns exec "$ctl" "$@"
    ;;

  down)
    # Each host's unshare by its recorded pid (it kills sshd, PID 1 of the host, and so
    # every process and mount of that host); then the namespaces by their recorded names.
    if [[ -f "$work/pids" ]]; then
      mapfile -t pids <"$work/pids"
      for pid in "${pids[@]}"; do
        # sshd first, by its own pid (unshare's child), then unshare.
        read -r -a children <"/proc/$pid/task/$pid/children" 2>/dev/null || children=()
        for child in "${children[@]}"; do kill -TERM "$child" 2>/dev/null || true; done
        kill -TERM "$pid" 2>/dev/null || true
      done
      # All of them together get up to 10 s to go, then SIGKILL.
      for ((try = 0; try < 200; try++)); do
        alive=0
        for pid in "${pids[@]}"; do if kill -0 "$pid" 2>/dev/null; then alive=1; fi; done
        ((alive)) || break
        sleep 0.05
      done
      for pid in "${pids[@]}"; do if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi; done
      rm -f "$work/pids"
    fi
    if [[ -f "$work/netns" ]]; then
      while read -r ns; do ip netns del "$ns" 2>/dev/null || true; done <"$work/netns"
      rm -f "$work/netns"
    fi
    ;;
  *) usage ;;
esac
