#!/usr/bin/env bash
# scripts/run, scripts/test and scripts/bench stop only the services they started themselves:
# a Redis or RabbitMQ that start_redis / start_rabbitmq found already running on its port is
# still running after stop_started_services; one they started is stopped.
# Usage: started_services_test.sh REPOSITORY_ROOT   (RabbitMQ: the broker of VISIONGW_TEST_AMQP_URL)
set -euo pipefail
repository="$1"
scratch="$(mktemp -d)"
fail() { echo "FAIL: $*" >&2; exit 1; }

# A spare port: one nothing answers on.
port=""
for _ in $(seq 50); do
  candidate=$((20000 + RANDOM % 20000))
  if ! timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$candidate" 2>/dev/null; then
    port="$candidate"; break
  fi
done
[ -n "$port" ] || fail "no spare port found"
trap 'redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$scratch"' EXIT

# Somebody else's Redis, running before the scripts start.
redis-server --bind 127.0.0.1 --port "$port" --dir "$scratch" --save '' --appendonly no \
  --daemonize yes --pidfile "$scratch/foreign.pid" --logfile "$scratch/foreign.log"
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$port" ping >/dev/null || fail "the foreign Redis on :$port did not start"

amqp_port="${VISIONGW_TEST_AMQP_URL:?needs the test broker}"
amqp_port="${amqp_port##*:}"; amqp_port="${amqp_port%%/*}"
export VISIONGW_REDIS_PORT="$port" VISIONGW_AMQP_PORT="$amqp_port" VISIONGW_STATE="$scratch/state"
# shellcheck source=../../scripts/lib/common.sh
source "$repository/scripts/lib/common.sh"

start_redis
start_rabbitmq
stop_started_services
redis-cli -p "$port" ping >/dev/null 2>&1 ||
  fail "stop_started_services stopped the Redis on :$port that was running before start_redis"
rabbitmqctl -q -n "$RABBIT_NODE" status >/dev/null 2>&1 ||
  fail "stop_started_services stopped the RabbitMQ node $RABBIT_NODE that was running before start_rabbitmq"

# A Redis start_redis started itself is stopped.
redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 || break; sleep 0.1; done
start_redis
redis-cli -p "$port" ping >/dev/null 2>&1 || fail "start_redis did not start a Redis on :$port"
stop_started_services
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 || break; sleep 0.1; done
! redis-cli -p "$port" ping >/dev/null 2>&1 ||
  fail "stop_started_services left running the Redis on :$port that start_redis started"
# A service stopped and started again (the soak restarts Redis and RabbitMQ) is recorded once.
start_redis
stop_redis
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 || break; sleep 0.1; done
start_redis
[ "${VISIONGW_STARTED_SERVICES[*]}" = redis ] ||
  fail "a Redis restarted by start_redis is recorded as '${VISIONGW_STARTED_SERVICES[*]}', not once"
stop_started_services
echo "only the services started here were stopped"
