#!/usr/bin/env bash
# Checks rules of the source tree that grep can see (issue 19): the core names no plugin, option
# tables name their fields, and each plugin folder has one namespace, visiongw::<folder>.
# Usage: check_seams.sh SOURCE_DIR
set -euo pipefail
cd "$1"
failed=0
fail() { echo "$1" >&2; failed=1; }

# The core learns plugin names from the ini and the build (the [plugins] defaults come from
# plugins/CMakeLists.txt); core/app/openapi.json's examples are documentation, not code.
if hits="$(grep -rnE '"(redis|rabbitmq|local)"' core --include='*.cpp' --include='*.h' --include='*.in')"; then
  fail "core/ names a plugin:"$'\n'"$hits"
fi

# Option-table entries written by position ({"name", VISIONGW_OPTION_..., ...}) hide which
# field is which; every table uses designated initializers ({.name = ..., .type = ...}).
if hits="$(grep -rnE '\{\s*"[A-Za-z0-9_]+",\s*VISIONGW_OPTION_' core plugins sdk tests --include='*.cpp' --include='*.h')"; then
  fail "option-table entries without designated initializers:"$'\n'"$hits"
fi

# Every in-tree plugin lives in namespace visiongw::<its folder>.
for folder in plugins/*/; do
  name="$(basename "$folder")"
  if hits="$(grep -rnE '^namespace visiongw::' "$folder" --include='*.cpp' --include='*.h' |
             grep -vE "namespace visiongw::$name \{")"; then
    fail "$folder: namespaces other than visiongw::$name:"$'\n'"$hits"
  fi
done

[ "$failed" = 0 ] && echo "tree rules hold: core names no plugin, option tables are designated, plugin namespaces match their folders"
exit "$failed"
