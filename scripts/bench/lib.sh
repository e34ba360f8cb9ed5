# Shared by the bench scripts (submit, soak): checked settings, the build, the gateway's ini,
# and the gateway and reference worker processes. Source it after scripts/lib/common.sh. The
# functions use the caller's PORT (the gateway's on 127.0.0.1), WORK (a scratch folder) and
# CONFIG (the ini file, see write_config); bench_build sets GATEWAY and WORKER.

# at_least NAME VALUE MIN: refuse a setting that is not a whole number >= MIN before anything
# starts, instead of failing minutes later.
at_least() {
  if ! [[ "$2" =~ ^[0-9]+$ ]] || [ "$2" -lt "$3" ]; then
    log "$1=$2: must be a whole number >= $3"
    exit 2
  fi
}

# bench_build: builds into BUILD_DIR (unless BENCH_NO_BUILD=1) and sets GATEWAY and WORKER.
bench_build() {
  if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
    log "building $BUILD_DIR"
    local build_log
    build_log="$(mktemp)"
    if ! build "$BUILD_DIR" >"$build_log" 2>&1; then
      # The benchmarks need only the gateway, the worker and the plugins; a test that does not
      # build (work in progress elsewhere) should not stop them.
      grep -m5 -E 'error|Error' "$build_log" >&2 || true
      log "the full build failed (first errors above); building only the gateway, the worker and the plugins"
      cmake --build "$BUILD_DIR" -j "$(nproc)" --target visiongw visiongw-worker visiongw_plugins >/dev/null
    fi
    rm -f "$build_log"
  fi
  GATEWAY="$BUILD_DIR/bin/visiongw" WORKER="$BUILD_DIR/bin/visiongw-worker"
  local program
  for program in "$GATEWAY" "$WORKER"; do [ -x "$program" ] || { log "no $program"; exit 1; }; done
}

port_open() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
# require_free_ports PORT...: stop before starting anything if one of them already serves.
require_free_ports() {
  local p
  for p in "$@"; do
    if port_open "$p"; then
      log "127.0.0.1:$p is already in use; set BENCH_PORT / VISIONGW_REDIS_PORT / VISIONGW_AMQP_PORT"
      exit 1
    fi
  done
}

# write_config LEVEL FILE: the shipped ini with only the log level changed; with
# BENCH_STORAGE=s3 also `storage = s3`, no [local] section, and an [s3] section with the run's
# key prefix and spool folder (BENCH_S3_PREFIX, BENCH_S3_SPOOL).
write_config() {
  awk -v level="$1" -v storage="${BENCH_STORAGE:-local}" '
    /^\[/ { section = $0 }
    section == "[log]" && /^[[:space:]]*level[[:space:]]*=/ { print "level = " level; next }
    storage == "s3" && section == "[plugins]" && /^[[:space:]]*storage[[:space:]]*=/ { print "storage = s3"; next }
    storage == "s3" && section == "[local]" { next }
    { print }' "$VISIONGW_ROOT/etc/visiongw.ini" >"$2"
  grep -q '^level = ' "$2" || printf '\n[log]\nlevel = %s\n' "$1" >>"$2"
  if [ "${BENCH_STORAGE:-local}" = s3 ]; then
    printf '\n[s3]\nkey_prefix = %s\nspool_dir = %s\n' "$BENCH_S3_PREFIX" "$BENCH_S3_SPOOL" >>"$2"
  fi
}

# start_gateway NAME [VAR=value...]: a gateway with a fresh storage folder $WORK/NAME-files,
# logging to $WORK/NAME.log; sets gateway_pid once /health answers.
gateway_pid=""
start_gateway() {
  local name="$1"; shift
  mkdir -p "$WORK/$name-files"
  env REDIS_URL="$VISIONGW_TEST_REDIS_URL" RABBITMQ_URL="$VISIONGW_TEST_AMQP_URL" \
    FILE_STORAGE_TEMP_DIR="$WORK/$name-files" VISIONGW_LISTEN="127.0.0.1:$PORT" "$@" \
    "$GATEWAY" --config "$CONFIG" >"$WORK/$name.log" 2>&1 &
  gateway_pid=$!
  local deadline=$((SECONDS + 30))
  until curl -fsS -o /dev/null "http://127.0.0.1:$PORT/health" 2>/dev/null; do
    if ! kill -0 "$gateway_pid" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
      log "the gateway did not start; its log:"; cat "$WORK/$name.log" >&2; exit 1
    fi
    sleep 0.2
  done
}

# start_worker INI LOG [VAR=value...]: one reference worker (visiongw-worker) on the private
# broker; its pid joins worker_pids.
worker_pids=()
start_worker() {
  local ini="$1" log_file="$2"; shift 2
  env RABBITMQ_URL="$VISIONGW_TEST_AMQP_URL" "$@" "$WORKER" --config "$ini" >"$log_file" 2>&1 &
  worker_pids+=($!)
}

# stop_process PID: TERM, then KILL after 30 s.
stop_process() {
  [ -n "$1" ] || return 0
  kill -TERM "$1" 2>/dev/null || true
  for _ in $(seq 300); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
stop_gateway() { stop_process "$gateway_pid"; gateway_pid=""; }
stop_workers() {
  local pid
  for pid in "${worker_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${worker_pids[@]}"; do stop_process "$pid"; done
  worker_pids=()
}

# job_records: how many job records the private Redis holds.
job_records() { redis-cli -p "$REDIS_PORT" --scan --pattern '*job:*' | wc -l; }

# field LINE KEY: the value of KEY=value in a helper's one-line result ("BURST a=1 b=2").
field() { sed -n "s/.*[[:space:]]$2=\([^[:space:]]*\).*/\1/p" <<<"$1"; }
