// The `redis` job store plugin library: its option table and exported entry points.
#include "redis_job_store.h"
#include "visiongw/sdk/export.h"

namespace {

constexpr visiongw_option kOptions[] = {
    {"url", VISIONGW_OPTION_STRING, "redis://127.0.0.1:6379/0", 0, nullptr, nullptr,
     "Redis server as redis://[:password@]host:port[/db]; the REDIS_URL environment variable "
     "overrides it"},
    {"ttl_seconds", VISIONGW_OPTION_INT, "86400", 0, "1", nullptr,
     "Seconds a job record lives after its last write"},
    {"pool_size", VISIONGW_OPTION_INT, "16", 0, "1", "64",
     "Most connections to Redis open at once"},
    {"timeout_ms", VISIONGW_OPTION_INT, "2000", 0, "10", nullptr,
     "Longest wait for a free connection, to connect, and for each reply"},
    {"key_prefix", VISIONGW_OPTION_STRING, "visiongw:", 0, nullptr, nullptr,
     "Prefix of every key the store writes"},
};

}  // namespace

VISIONGW_PLUGIN("redis", visiongw::sdk::kJobStoreKind, "1.0.0", kOptions,
                visiongw::redis::RedisJobStore)
