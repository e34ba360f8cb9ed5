#!/usr/bin/env bash
# Checks rules of the source tree that grep can see (issue 19): the job use cases know nothing of
# HTTP, the core names no plugin, option tables name their fields, the wire protocol has one home,
# the request pipeline reads the route table, misleading names stay gone, and each plugin folder
# has one namespace, visiongw::<folder>.
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

# The job use cases throw JobError kinds; the route layer (core/app/error_statuses) maps them to
# statuses. Nothing under core/jobs/ includes core/http/.
if hits="$(grep -rnE '#include "http/' core/jobs)"; then
  fail "core/jobs/ includes core/http/:"$'\n'"$hits"
fi

# Job messages, worker events, cancellations, markers and dead letters are encoded and decoded in
# sdk/protocol only: the field that versions them appears nowhere else in code (tests, which
# send hand-made and malformed messages, and the protocol's documents excepted).
if hits="$(grep -rn 'schema_version' core plugins sdk --include='*.cpp' --include='*.h' |
           grep -vE '^sdk/protocol/|/tests/')"; then
  fail "schema_version outside sdk/protocol:"$'\n'"$hits"
fi

# The early size check of the request pipeline reads the route table (RouteBody::image_upload),
# not its own copy of a route's path.
if hits="$(grep -rn '"/api/' core/app/pipeline)"; then
  fail "the request pipeline names a route path:"$'\n'"$hits"
fi

# Names that misled: an HTTP request/response pair called Exchange (an exchange is RabbitMQ's),
# core/plugins/ beside the top-level plugins/, the doubled sdk/amqp/amqp/.
if hits="$(grep -rnwE '(class|struct) Exchange|Exchange&' core plugins sdk --include='*.cpp' --include='*.h')"; then
  fail "a type named Exchange:"$'\n'"$hits"
fi
for gone in core/plugins sdk/amqp/amqp; do
  [ ! -e "$gone" ] || fail "$gone exists again"
done

[ "$failed" = 0 ] && echo "tree rules hold: core/jobs free of core/http, core names no plugin, option tables are designated, one protocol module, pipeline reads the route table, plugin namespaces match their folders"
exit "$failed"
