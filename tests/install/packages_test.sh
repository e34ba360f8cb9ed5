#!/usr/bin/env bash
# `cpack -G DEB` of this build: both packages hold the install layout of the README (and
# nothing outside /usr, /etc/visiongw and /lib/systemd/system), the ini is a conffile naming the
# installed plugin folder, postinst makes the visiongw user, the dependencies were computed, and
# lintian reports no error on either package.
# Usage: packages_test.sh BUILD_DIR
set -euo pipefail
source "$(dirname "$0")/install_support.sh"
build_dir="$1"
work="$(work_dir)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

(umask 022 && cpack -G DEB --config "$build_dir/CPackConfig.cmake" -B "$work" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log" >&2; fail "cpack failed"; }
gateway="$(ls "$work"/visiongw_*.deb)" dev="$(ls "$work"/visiongw-dev_*.deb)"

# Each package's listing (dpkg-deb -c) in PACKAGE.list.
for package in "$gateway" "$dev"; do dpkg-deb -c "$package" >"$package.list"; done
# contents PACKAGE: its files and folders, one path a line, without the leading "."
contents() { awk '{print substr($6, 2)}' "$1.list" | sed 's|/$||' | sort; }
expect_files() {
  local package="$1"; shift
  for path in "$@"; do
    contents "$package" | grep -qxF "$path" || fail "$(basename "$package") has no $path"
  done
}
expect_files "$gateway" /usr/bin/visiongw /usr/bin/visiongw-worker /etc/visiongw/visiongw.ini \
  /lib/systemd/system/visiongw.service /lib/systemd/system/visiongw-worker@.service \
  /usr/share/man/man1/visiongw.1.gz /usr/share/man/man1/visiongw-worker.1.gz \
  /usr/share/doc/visiongw/README.md /usr/share/doc/visiongw/PROTOCOL.md \
  /usr/share/doc/visiongw/SDK.md /usr/share/doc/visiongw/copyright \
  /usr/share/doc/visiongw/changelog.gz \
  /usr/share/visiongw/console/{index.html,console.css,console.js} \
  /usr/lib/visiongw/plugins/visiongw-{local,s3,rabbitmq,redis,pest,disease,comprehensive}.so
expect_files "$dev" /usr/include/visiongw/sdk/abi.h /usr/include/visiongw/sdk/export.h \
  /usr/include/visiongw/worker/worker.h /usr/include/visiongw/amqp/topology.h \
  /usr/lib/libvisiongw-worker.a /usr/lib/cmake/visiongw/visiongwConfig.cmake \
  /usr/lib/cmake/visiongw/visiongwConfigVersion.cmake /usr/lib/cmake/visiongw/VisiongwPlugin.cmake \
  /usr/lib/pkgconfig/visiongw.pc /usr/lib/pkgconfig/visiongw-worker.pc \
  /usr/share/doc/visiongw-dev/copyright
for package in "$gateway" "$dev"; do
  outside="$(contents "$package" | grep -vE '^(|/usr(/.*)?|/etc|/etc/visiongw(/.*)?|/lib|/lib/systemd(/system(/.*)?)?)$' || true)"
  [ -z "$outside" ] || fail "$(basename "$package") installs outside the layout: $outside"
done
files() { awk '/^-/ {print $6}' "$1.list" | sort; }
shared="$(comm -12 <(files "$gateway") <(files "$dev"))"
[ -z "$shared" ] || fail "both packages hold $shared"
grep -qE '^drwxr-xr-x root/root .* \./usr/lib/visiongw/plugins/$' "$gateway.list" ||
  fail "the plugin folder is not root's with mode 0755"

dpkg-deb -e "$gateway" "$work/control"
grep -qxF /etc/visiongw/visiongw.ini "$work/control/conffiles" || fail "the ini is no conffile"
grep -q 'adduser --system' "$work/control/postinst" || fail "postinst makes no visiongw user"
sh -n "$work/control/postinst" || fail "postinst is no valid sh script"
depends="$(dpkg-deb -f "$gateway" Depends)"
for dependency in adduser libpocofoundation librabbitmq libssl; do
  [[ "$depends" == *"$dependency"* ]] || fail "Depends names no $dependency: $depends"
done
dpkg-deb --fsys-tarfile "$gateway" | tar -xO ./etc/visiongw/visiongw.ini >"$work/visiongw.ini"
grep -qxF 'dir = /usr/lib/visiongw/plugins' "$work/visiongw.ini" ||
  fail "the packaged ini does not name /usr/lib/visiongw/plugins"
grep -qxF 'root = /var/lib/visiongw/files' "$work/visiongw.ini" ||
  fail "the packaged ini does not store in /var/lib/visiongw/files"

lintian --fail-on error --no-tag-display-limit "$gateway" "$dev" >"$work/lintian" 2>&1 ||
  { cat "$work/lintian" >&2; fail "lintian reports errors"; }
echo "visiongw and visiongw-dev hold the install layout; lintian: $(grep -c '^E:' "$work/lintian" || true) errors"
