#!/usr/bin/env bash
# Fails when README.md's configuration reference differs from what the option tables say now.
# Usage: check_config_reference.sh VISIONGW_BINARY INI README
set -euo pipefail
binary="$1" ini="$2" readme="$3"
expected="$("$binary" --config "$ini" --config-reference)"
actual="$(sed -n '/<!-- config-reference:begin -->/,/<!-- config-reference:end -->/p' "$readme" | sed '1d;$d')"
if [ "$(printf '%s' "$expected" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}')" != "$(printf '%s' "$actual" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}')" ]; then
  diff <(printf '%s\n' "$expected") <(printf '%s\n' "$actual") || true
  echo "README.md's configuration reference is stale: run scripts/docs" >&2
  exit 1
fi
echo "README.md configuration reference matches the option tables"
