#!/usr/bin/env bash
# Installs this build into a scratch prefix, builds examples/ against that prefix alone and
# installs them into it, then starts the *installed* gateway (its compiled-in plugin folder,
# storage `quota` wrapping `local`, analysis type `weeds`) and the example worker on a RabbitMQ
# virtual host of their own, and follows a `weeds` job to the example worker's result.
# Usage: examples_test.sh SOURCE_DIR BUILD_DIR CXX_FLAGS   (VISIONGW_TEST_* from scripts/test)
set -euo pipefail
VISIONGW_SOURCE_DIR="$1" build_dir="$2" cxx_flags="$3"
source "$(dirname "$0")/install_support.sh"
: "${VISIONGW_TEST_AMQP_URL:?run through scripts/test, which starts RabbitMQ and Redis}"
: "${VISIONGW_TEST_REDIS_URL:?}" "${VISIONGW_TEST_RABBIT_NODE:?}"

work="$(work_dir)"
vhost="visiongw-install-$$"
key_prefix="vgwinstall:$$:"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rabbitmqctl -q -n "$VISIONGW_TEST_RABBIT_NODE" delete_vhost "$vhost" >/dev/null 2>&1 || true
  local redis_port="${VISIONGW_TEST_REDIS_URL##*:}"
  redis-cli -p "$redis_port" --scan --pattern "$key_prefix*" | xargs -r redis-cli -p "$redis_port" del >/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for log in "$work"/*.log; do echo "--- $log" >&2; tail -n 10 "$log" >&2; done
  exit 1
}

prefix="$work/prefix"
install_build "$build_dir" "$prefix"
build_examples "$VISIONGW_SOURCE_DIR/examples" "$prefix" "$work/examples" "$cxx_flags"
(umask 022 && cmake --install "$work/examples" --prefix "$prefix" >/dev/null)
[ -x "$prefix/bin/weeds-worker" ] || fail "the example worker was not installed into $prefix/bin"

# pkg-config users: the plugin folder, and an example plugin and the example worker built with
# the installed .pc files alone.
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
[ "$(realpath "$(pkg-config --variable=plugindir visiongw)")" = "$prefix/lib/visiongw/plugins" ] ||
  fail "visiongw.pc names plugindir $(pkg-config --variable=plugindir visiongw)"
# shellcheck disable=SC2046,SC2086
c++ $cxx_flags -fPIC -shared -fvisibility=hidden -Wl,--no-undefined \
  "$work/examples-src/quota-storage/quota_storage.cpp" -o "$work/visiongw-quota-pc.so" \
  $(pkg-config --cflags visiongw) >"$work/pkg-config-build.log" 2>&1 ||
  fail "the quota plugin does not build with pkg-config --cflags visiongw"
# shellcheck disable=SC2046,SC2086
c++ $cxx_flags "$work/examples-src/weeds-worker/main.cpp" -o "$work/weeds-worker-pc" \
  $(pkg-config --cflags --libs visiongw-worker) >"$work/pkg-config-build.log" 2>&1 ||
  fail "the example worker does not build with pkg-config --cflags --libs visiongw-worker"

rabbitmqctl -q -n "$VISIONGW_TEST_RABBIT_NODE" add_vhost "$vhost" >/dev/null
rabbitmqctl -q -n "$VISIONGW_TEST_RABBIT_NODE" set_permissions -p "$vhost" guest '.*' '.*' '.*' >/dev/null
amqp_url="${VISIONGW_TEST_AMQP_URL%/}/$vhost"

# A port nobody listens on.
port=0
for _ in $(seq 50); do
  candidate=$((20000 + RANDOM % 20000))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port=$candidate; break; fi
done
[ "$port" -ne 0 ] || fail "no free port found"

# No [plugins] dir: the installed gateway's compiled-in default must be the installed folder.
cat >"$work/visiongw.ini" <<INI
[gateway]
listen = 127.0.0.1:$port
threads = 16
max_connections_per_client = 8
max_event_streams = 4

[plugins]
storage = quota
analysis = weeds

[quota]
root = $work/files
min_free_bytes = 0
max_total_bytes = 100

[weeds]
default_crop = soy

[redis]
url = ${VISIONGW_TEST_REDIS_URL%/}/0
key_prefix = $key_prefix

[rabbitmq]
url = $amqp_url
INI

clean_env=(env -u RABBITMQ_URL -u RABBITMQ_QUEUE_NAME -u RABBITMQ_EXCHANGE_NAME
  -u RABBITMQ_ROUTING_KEY -u REDIS_URL -u REDIS_SENTINELS -u REDIS_SENTINEL_MASTER
  -u REDIS_SENTINEL_PASSWORD -u FILE_STORAGE_TEMP_DIR -u FILE_STORAGE_MAX_FILE_SIZE
  -u FILE_STORAGE_FILE_TTL -u VISIONGW_LISTEN)
"${clean_env[@]}" "$prefix/bin/visiongw" --config="$work/visiongw.ini" >"$work/gateway.log" 2>&1 &
pids+=($!)
"${clean_env[@]}" RABBITMQ_URL="$amqp_url" FILE_STORAGE_TEMP_DIR="$work/files" \
  "$prefix/bin/weeds-worker" >"$work/worker.log" 2>&1 &
pids+=($!)

base="http://127.0.0.1:$port"
for _ in $(seq 300); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/health/ready")" = 200 ] && break
  kill -0 "${pids[0]}" 2>/dev/null || fail "the installed gateway stopped"
  sleep 0.1
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/health/ready")" = 200 ] ||
  fail "the installed gateway is not ready after 30 s"

# A 1x1 PNG.
echo 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==' |
  base64 -d >"$work/leaf.png"
size="$(stat -c %s "$work/leaf.png")"

# The weeds plugin's own rule refuses a crop it does not know.
status="$(curl -s -o "$work/refused.json" -w '%{http_code}' -F image=@"$work/leaf.png" \
  -F analysis_type=weeds -F crop=rice "$base/api/v1/vision/analyze")"
if [ "$status" != 400 ] || ! jq -e '.error.code == "invalid_field"' "$work/refused.json" >/dev/null; then
  fail "crop=rice answered $status $(cat "$work/refused.json")"
fi

status="$(curl -s -o "$work/submitted.json" -w '%{http_code}' -F image=@"$work/leaf.png" \
  -F analysis_type=weeds -F crop=maize -F min_patch_cm2=10 "$base/api/v1/vision/analyze")"
[ "$status" = 202 ] || fail "the weeds submit answered $status $(cat "$work/submitted.json")"
job="$(jq -r .job_id "$work/submitted.json")"

for _ in $(seq 300); do
  curl -s "$base/api/v1/vision/jobs/$job" >"$work/job.json"
  case "$(jq -r .status "$work/job.json")" in completed | failed) break ;; esac
  sleep 0.1
done
jq -e --argjson size "$size" '.status == "completed" and .result.analyzer == "weeds-example"
    and .result.crop == "maize" and .result.min_patch_cm2 == 10
    and .result.bytes_analyzed == $size' "$work/job.json" >/dev/null ||
  fail "the weeds job did not complete with the example worker's result: $(cat "$work/job.json")"
# The quota (100 bytes) holds that image; another one of the same size would pass it: the
# quota plugin refuses it mid-write and the wrapped writer leaves nothing of it.
cp "$work/leaf.png" "$work/other-leaf.png"
printf 'other' >>"$work/other-leaf.png"
status="$(curl -s -o "$work/full.json" -w '%{http_code}' -F image=@"$work/other-leaf.png" \
  -F analysis_type=weeds "$base/api/v1/vision/analyze")"
[ "$status" = 507 ] || fail "an upload past the quota answered $status $(cat "$work/full.json")"
blobs="$(find "$work/files" -type f | wc -l)"
[ "$blobs" = 1 ] || fail "the store holds $blobs files after the refused upload: $(find "$work/files" -type f)"
echo "installed gateway with the example plugins: weeds job $job completed by the example worker;" \
  "an upload past the quota refused with 507, nothing left"
