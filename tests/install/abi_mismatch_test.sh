#!/usr/bin/env bash
# Builds examples/weeds-analysis against a copy of the installed SDK whose ABI version is one
# ahead (a third party on another SDK release), puts it into the installed gateway's plugin
# folder and checks that the gateway refuses it with one line naming the file and both versions.
# Usage: abi_mismatch_test.sh SOURCE_DIR BUILD_DIR CXX_FLAGS
set -euo pipefail
VISIONGW_SOURCE_DIR="$1" build_dir="$2" cxx_flags="$3"
source "$(dirname "$0")/install_support.sh"

work="$(work_dir)"
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
install_build "$build_dir" "$prefix"

abi_header=include/visiongw/sdk/abi.h
ours="$(sed -n 's/^#define VISIONGW_SDK_ABI_VERSION \([0-9]*\)u$/\1/p' "$prefix/$abi_header")"
[ -n "$ours" ] || { echo "FAIL: no VISIONGW_SDK_ABI_VERSION in $prefix/$abi_header" >&2; exit 1; }
theirs=$((ours + 1))
cp -r "$prefix" "$work/other-sdk"
sed -i "s/^#define VISIONGW_SDK_ABI_VERSION ${ours}u$/#define VISIONGW_SDK_ABI_VERSION ${theirs}u/" \
  "$work/other-sdk/$abi_header"

build_examples "$VISIONGW_SOURCE_DIR/examples" "$work/other-sdk" "$work/weeds" "$cxx_flags" \
  weeds-analysis
plugin="$prefix/lib/visiongw/plugins/visiongw-weeds.so"
install -m 0644 "$work/weeds/visiongw-weeds.so" "$plugin"

printf '[plugins]\nanalysis = pest, weeds\n[local]\nroot = %s/files\n' "$work" >"$work/visiongw.ini"
status=0
"$prefix/bin/visiongw" --check-config --config="$work/visiongw.ini" >"$work/out" 2>"$work/err" ||
  status=$?
expected="visiongw: plugin $plugin: built for SDK ABI version $theirs, this gateway has version $ours"
if [ "$status" -ne 78 ] || [ "$(wc -l <"$work/err")" -ne 1 ] || ! grep -qxF -- "$expected" "$work/err"; then
  echo "FAIL: expected exit status 78 and the one line '$expected'; got status $status and:" >&2
  cat "$work/err" "$work/out" >&2
  exit 1
fi
echo "a plugin built for SDK ABI $theirs is refused: $(cat "$work/err")"
