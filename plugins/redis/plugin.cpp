// The `redis` job store plugin library: its option table and exported entry points.
#include "redis_job_store.h"
#include "visiongw/sdk/export.h"

namespace {

constexpr visiongw_option kOptions[] = {
    {.name = "url",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "redis://127.0.0.1:6379/0",
     .env = "REDIS_URL",
     .description = "Redis server as redis://[:password@]host:port[/db]"},
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
};

}  // namespace

VISIONGW_PLUGIN("redis", visiongw::sdk::kJobStoreKind, "1.0.0", kOptions,
                visiongw::redis::RedisJobStore)
