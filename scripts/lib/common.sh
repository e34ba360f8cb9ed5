# Shared by scripts/run, scripts/test and scripts/bench: packages, build, private services.
# Source it; it defines functions and sets VISIONGW_ROOT.
VISIONGW_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VISIONGW_STATE="${VISIONGW_STATE:-$VISIONGW_ROOT/.run}"

VISIONGW_PACKAGES=(build-essential cmake pkg-config libpoco-dev librabbitmq-dev libboost-dev
  libssl-dev libgtest-dev libgmock-dev libjpeg-dev libpng-dev prometheus-cpp-dev rabbitmq-server
  redis-server zlib1g-dev curl procps
  help2man dpkg-dev file lintian systemd jq nginx python3
  swift swift-proxy swift-object swift-container swift-account awscli)

log() { printf '[visiongw] %s\n' "$*" >&2; }

# Installs whatever Debian package of VISIONGW_PACKAGES (plus "$@") is missing.
install_packages() {
  local missing=() pkg
  for pkg in "${VISIONGW_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  # The Debian packages try to start their services; we run our own private instances.
  local own_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    own_policy=1
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod +x /usr/sbin/policy-rc.d
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
  [ -z "$own_policy" ] || $sudo rm -f /usr/sbin/policy-rc.d
}

# build DIR [cmake args...]: configures and builds the project in DIR (only the targets in
# VISIONGW_TARGETS when that is set).
build() {
  local dir="$1"; shift
  cmake -S "$VISIONGW_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  local targets=()
  for target in ${VISIONGW_TARGETS:-}; do targets+=(--target "$target"); done
  cmake --build "$dir" -j "$(nproc)" "${targets[@]}"
}

REDIS_PORT="${VISIONGW_REDIS_PORT:-6391}"
AMQP_PORT="${VISIONGW_AMQP_PORT:-5673}"
AMQP_DIST_PORT=$((AMQP_PORT + 20000))
RABBIT_NODE="visiongw-${AMQP_PORT}@localhost"

# The services start_redis and start_rabbitmq started in this shell, in order; one they found
# already running on its port is not among them. stop_started_services stops these only.
VISIONGW_STARTED_SERVICES=()

# started_service NAME: records NAME there, once (a service restarted by the soak is one).
started_service() {
  [[ " ${VISIONGW_STARTED_SERVICES[*]} " == *" $1 "* ]] || VISIONGW_STARTED_SERVICES+=("$1")
}

# Stops what start_redis / start_rabbitmq started here, last first, and forgets it.
stop_started_services() {
  local i
  for ((i = ${#VISIONGW_STARTED_SERVICES[@]} - 1; i >= 0; i--)); do
    "stop_${VISIONGW_STARTED_SERVICES[i]}"
  done
  VISIONGW_STARTED_SERVICES=()
}

# start_redis / start_rabbitmq: a private instance on REDIS_PORT / AMQP_PORT, unless one answers
# there already (then it is used and left alone). stop_redis / stop_rabbitmq stop whatever
# answers there: call them only for an instance of your own (see stop_started_services).
# start_redis takes redis-server options, which override its defaults (e.g. --appendonly yes
# for a Redis whose data outlives a restart).
start_redis() {
  local dir="$VISIONGW_STATE/redis"
  mkdir -p "$dir"
  if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then return 0; fi
  started_service redis
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$dir" --save '' --appendonly no \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" "$@"
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  log "redis-server did not start; see $dir/redis.log"; return 1
}

stop_redis() {
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
}

rabbit_env() {
  export RABBITMQ_NODENAME="$RABBIT_NODE" RABBITMQ_NODE_PORT="$AMQP_PORT" \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_DIST_PORT="$AMQP_DIST_PORT" \
    RABBITMQ_MNESIA_BASE="$VISIONGW_STATE/rabbitmq/mnesia" RABBITMQ_LOG_BASE="$VISIONGW_STATE/rabbitmq/log" \
    RABBITMQ_PID_FILE="$VISIONGW_STATE/rabbitmq/rabbit.pid" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$VISIONGW_STATE/rabbitmq/enabled_plugins" \
    RABBITMQ_CONFIG_FILE="$VISIONGW_STATE/rabbitmq/rabbitmq.conf"
}

start_rabbitmq() {
  rabbit_env
  if rabbitmqctl -q -n "$RABBIT_NODE" status >/dev/null 2>&1; then return 0; fi
  local dir="$VISIONGW_STATE/rabbitmq"
  mkdir -p "$dir/mnesia" "$dir/log"
  echo '[].' >"$dir/enabled_plugins"
  # A small consumer timeout lets the tests see the broker's own acknowledgement deadline.
  printf 'loopback_users = none\nconsumer_timeout = %s\n' "${VISIONGW_CONSUMER_TIMEOUT_MS:-1800000}" >"$dir/rabbitmq.conf"
  id rabbitmq >/dev/null 2>&1 && chown -R rabbitmq:rabbitmq "$dir"
  started_service rabbitmq
  (cd / && setsid -f rabbitmq-server </dev/null >"$dir/log/stdout.log" 2>&1)
  local deadline=$((SECONDS + 90))
  until rabbitmqctl -q -n "$RABBIT_NODE" await_startup --timeout 10 >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then log "rabbitmq-server did not start; see $dir/log"; return 1; fi
    sleep 1
  done
}

stop_rabbitmq() {
  rabbit_env
  rabbitmqctl -q -n "$RABBIT_NODE" stop >/dev/null 2>&1 || true
}

export VISIONGW_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
export VISIONGW_TEST_AMQP_URL="amqp://guest:guest@127.0.0.1:$AMQP_PORT/"
export VISIONGW_TEST_RABBIT_NODE="$RABBIT_NODE"

source "$VISIONGW_ROOT/scripts/lib/swift.sh"
