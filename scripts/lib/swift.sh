# An S3-compatible object store for tests and `scripts/run` with `storage = s3`: OpenStack Swift
# (Debian's swift-* 2.30) with its s3api and tempauth middleware, one replica on loopback, rings
# and data under $VISIONGW_STATE/swift. Sourced by common.sh; see PLATFORM-NOTES "Object storage".
# Ports: the S3 endpoint (the proxy) on S3_PORT, account/container/object servers on the next
# three. Credentials: access key test:tester, secret testing (and test:reader, secret reading, a
# user without admin rights that may only read what an ACL grants); bucket S3_BUCKET is created.
S3_PORT="${VISIONGW_S3_PORT:-8390}"
S3_BUCKET="${VISIONGW_S3_BUCKET:-visiongw}"
SWIFT_SERVERS=(proxy account container object)

swift_port() {  # swift_port SERVER
  case "$1" in proxy) echo "$S3_PORT" ;; account) echo $((S3_PORT + 1)) ;;
    container) echo $((S3_PORT + 2)) ;; object) echo $((S3_PORT + 3)) ;; esac
}

# Writes the four servers' configuration files and builds the rings, once per state folder.
swift_configure() {
  local dir="$VISIONGW_STATE/swift" server ring
  mkdir -p "$dir/devices/d1" "$dir/log" "$dir/run"
  local common="[DEFAULT]
bind_ip = 127.0.0.1
workers = 0
user = $(id -un)
swift_dir = $dir
devices = $dir/devices
mount_check = false
"
  # The proxy's log_level stays out of [DEFAULT]: PasteDeploy would let it override the cache's.
  cat >"$dir/proxy.conf" <<CONF
${common}bind_port = $(swift_port proxy)

[pipeline:main]
pipeline = cache s3api tempauth slo proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:cache]
use = egg:swift#memcache
log_level = CRITICAL

[filter:s3api]
use = egg:swift#s3api

[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = testing .admin
user_test_reader = reading

[filter:slo]
use = egg:swift#slo
CONF
  for server in account container object; do
    printf '%sbind_port = %s\n\n[pipeline:main]\npipeline = %s-server\n\n[app:%s-server]\nuse = egg:swift#%s\n' \
      "$common" "$(swift_port "$server")" "$server" "$server" "$server" >"$dir/$server.conf"
    ring="$dir/$server.builder"
    if [ ! -e "$dir/$server.ring.gz" ]; then
      rm -f "$ring"
      swift-ring-builder "$ring" create 6 1 1 >/dev/null
      swift-ring-builder "$ring" add --region 1 --zone 1 --ip 127.0.0.1 \
        --port "$(swift_port "$server")" --device d1 --weight 100 >/dev/null
      swift-ring-builder "$ring" rebalance >/dev/null || true  # exits 1 with "balance" warnings
    fi
  done
}

# s3 CMD...: awscli (Debian's, another `aws` may come first on PATH) as test:tester against the
# endpoint.
s3() {
  AWS_ACCESS_KEY_ID=test:tester AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1 \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    /usr/bin/aws --endpoint-url "http://127.0.0.1:$S3_PORT" "$@"
}

swift_answers() {
  curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$S3_PORT/info" 2>/dev/null
}

# start_swift: the four servers, unless a proxy answers on S3_PORT already (then it is used and
# left alone, as start_redis does); then waits until S3 answers and S3_BUCKET exists.
start_swift() {
  local dir="$VISIONGW_STATE/swift" server
  if ! swift_answers; then
    swift_configure
    started_service swift
    for server in "${SWIFT_SERVERS[@]}"; do
      # No syslog here: -v writes the log lines to stdout, kept in the log folder.
      setsid "swift-$server-server" "$dir/$server.conf" -v </dev/null >"$dir/log/$server.log" 2>&1 &
      echo "$!" >"$dir/run/$server.pid"
    done
  fi
  # An anonymous /info answers once the proxy runs; the bucket's creation (signed) once the
  # account and container servers do too.
  local deadline=$((SECONDS + 60)) answer=""
  until swift_answers && answer="$(s3 s3api create-bucket --bucket "$S3_BUCKET" 2>&1)" ||
      [[ "$answer" == *BucketAlreadyOwnedByYou* ]]; do
    if [ $SECONDS -ge $deadline ]; then
      log "swift did not start on :$S3_PORT; see $dir/log ($answer)"; return 1
    fi
    sleep 0.5
  done
}

# Stops the servers start_swift started for this state folder (call it only for your own).
stop_swift() {
  local pid server
  for server in "${SWIFT_SERVERS[@]}"; do
    pid="$(cat "$VISIONGW_STATE/swift/run/$server.pid" 2>/dev/null)" || continue
    kill -TERM "$pid" 2>/dev/null || true
  done
  for server in "${SWIFT_SERVERS[@]}"; do
    pid="$(cat "$VISIONGW_STATE/swift/run/$server.pid" 2>/dev/null)" || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$VISIONGW_STATE/swift/run/$server.pid"
  done
}

export VISIONGW_TEST_S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
export VISIONGW_TEST_S3_BUCKET="$S3_BUCKET"
# Tests start a proxy of their own from this file to have an endpoint they may kill.
export VISIONGW_TEST_SWIFT_PROXY_CONF="$VISIONGW_STATE/swift/proxy.conf"
