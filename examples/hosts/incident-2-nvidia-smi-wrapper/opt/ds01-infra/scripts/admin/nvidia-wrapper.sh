#!/bin/bash
# /opt/ds01-infra/scripts/admin/nvidia-wrapper.sh
# DS01 NVIDIA Command Wrapper - Bare Metal GPU Access Control
# Deployed to /usr/local/bin/nvidia-smi, nvidia-settings, etc. (higher precedence than /usr/bin)
REAL_CMD="/usr/bin/$(basename "$0")"
if [ "$(id -u)" -eq 0 ] || id -nG | grep -qE '\b(ds01-admin|video)\b'; then
    exec "$REAL_CMD" "$@"
fi
echo "Bare Metal GPU Access Restricted" >&2
echo "This server uses container-only GPU access by default." >&2
exit 1
