// The `redis` job store plugin library: its option table and exported entry points.
#include "redis_job_store.h"
#include "visiongw/sdk/export.h"

namespace {

constexpr visiongw_option kOptions[] = {
    {.name = "url",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "redis://127.0.0.1:6379/0",
     .env = "REDIS_URL",
     .description = "Redis server as redis://[:password@]host:port[/db]; with sentinels only its "
                    "password and database are used"},
    {.name = "sentinels",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "",
     .env = "REDIS_SENTINELS",
     .description = "Redis Sentinels as host:port, comma separated: the master comes from them and "
                    "is found again after a failover; empty: no Sentinel, the url's server"},
    {.name = "sentinel_master",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "visiongw",
     .env = "REDIS_SENTINEL_MASTER",
     .description = "Name of the master the sentinels monitor (sentinel monitor NAME ...)"},
    {.name = "sentinel_password",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "",
     .env = "REDIS_SENTINEL_PASSWORD",
     .description = "Password the sentinels require (AUTH); empty: none"},
    {.name = "ttl_seconds",
     .type = VISIONGW_OPTION_INT,
     .default_value = "86400",
     .min = "1",
     .description = "Seconds a job record lives after its last write"},
    {.name = "pool_size",
     .type = VISIONGW_OPTION_INT,
     .default_value = "16",
     .min = "1",
     .max = "64",
     .description = "Most connections to Redis open at once"},
    {.name = "timeout_ms",
     .type = VISIONGW_OPTION_INT,
     .default_value = "2000",
     .min = "10",
     .description = "Longest wait for a free connection, to connect, and for each reply"},
    {.name = "key_prefix",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "visiongw:",
     .description = "Prefix of every key the store writes"},
    {.name = "wait_replicas",
     .type = VISIONGW_OPTION_INT,
     .default_value = "0",
     .min = "0",
     .max = "16",
     .description = "Replicas that must have each create and status change (WAIT) before it "
                    "counts as done; fewer within wait_timeout_ms: 503, a submit leaves nothing; "
                    "0: do not wait"},
    {.name = "wait_timeout_ms",
     .type = VISIONGW_OPTION_INT,
     .default_value = "200",
     .min = "1",
     .max = "60000",
     .description = "Longest WAIT for wait_replicas; must be below timeout_ms"},
};

}  // namespace

VISIONGW_PLUGIN("redis", visiongw::sdk::kJobStoreKind, "1.0.0", kOptions,
                visiongw::redis::RedisJobStore)
