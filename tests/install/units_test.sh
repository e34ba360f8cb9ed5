#!/usr/bin/env bash
# The ini and the systemd units as `cmake --install` writes them for a prefix: the installed
# gateway accepts its installed ini as it is (its plugin folder, every section) but the storage
# folder; `systemd-analyze verify` (which also opens their man: pages, here the installed ones)
# says nothing about either unit, and each runs as the visiongw user in the sandbox the README
# describes.
# Usage: units_test.sh BUILD_DIR
set -euo pipefail
source "$(dirname "$0")/install_support.sh"
work="$(work_dir)"
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
install_build "$1" "$prefix"
units="$prefix/lib/systemd/system"

ini="$prefix/etc/visiongw/visiongw.ini"
grep -qxF "dir = $prefix/lib/visiongw/plugins" "$ini" || { echo "FAIL: $ini names another plugin folder" >&2; exit 1; }
FILE_STORAGE_TEMP_DIR="$work/files" "$prefix/bin/visiongw" --config="$ini" --check-config >"$work/check" 2>&1 ||
  { echo "FAIL: the installed gateway refuses its installed ini:" >&2; cat "$work/check" >&2; exit 1; }

status=0
MANPATH="$prefix/share/man" systemd-analyze verify "$units/visiongw.service" \
  "$units/visiongw-worker@.service" >"$work/verify" 2>&1 || status=$?
if [ "$status" -ne 0 ] || [ -s "$work/verify" ]; then
  echo "FAIL: systemd-analyze verify exited $status:" >&2
  cat "$work/verify" >&2
  exit 1
fi

for unit in visiongw.service visiongw-worker@.service; do
  for line in User=visiongw Group=visiongw ProtectSystem=strict NoNewPrivileges=yes \
    PrivateTmp=yes Restart=on-failure; do
    grep -qxF "$line" "$units/$unit" || { echo "FAIL: $unit has no line $line" >&2; exit 1; }
  done
done
grep -qxF "ExecStart=$prefix/bin/visiongw --config=$prefix/etc/visiongw/visiongw.ini" \
  "$units/visiongw.service" || { echo "FAIL: visiongw.service does not start the installed gateway" >&2; exit 1; }
grep -qxF "ReadWritePaths=/var/lib/visiongw/files" "$units/visiongw.service" ||
  { echo "FAIL: visiongw.service may not write the storage folder" >&2; exit 1; }
echo "the installed ini checks; visiongw.service and visiongw-worker@.service verify cleanly"
