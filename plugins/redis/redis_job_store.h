// The `redis` job store: one Redis hash per job plus a set of job ids per stored file.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "redis_connection_pool.h"
#include "visiongw/sdk/job_store.h"

namespace visiongw::redis {

// Keys: `<prefix>job:<id>` (hash of every JobRecord field, plus `list_entry`),
// `<prefix>file:<file_key>` (set of ids of jobs that were not final when last written),
// `<prefix>idempotency:<tenant length>:<tenant>:<key>` (hash of fingerprint, job_id, state;
// with its own TTL), `<prefix>webhooks:due` (sorted set of the ids of jobs whose webhook is
// pending and due or claimed, scored by due time in milliseconds of Redis TIME; a job whose
// hash expired leaves it at its next claim) and the listing indexes
// `<prefix>list:<tenant length>:<tenant>:<status or *>:<type or *>`: four sorted sets per job
// (any, its status, its type, both) whose members `list_entry` are
// `<16-digit microseconds of Redis TIME>:<id>` at score 0, so their lexical order is creation
// order and a member is a page position no later insert can shift. A transition moves the
// job between status indexes; an index member whose hash expired is dropped by the listing
// that meets it and by the next create in that index, and every write refreshes the TTL of the
// keys it touches. Creates, transitions, listings, file checks and erase run as Lua scripts,
// so each is atomic on the server. Thread-safe after configure(); Redis being away throws
// sdk::Unavailable.
//
// With `sentinels` the master comes from Redis Sentinel and is found again after a failover
// (RedisConnectionPool). With `wait_replicas` N > 0, creates and applied transitions wait on
// the same connection until N replicas have them (WAIT, bounded by `wait_timeout_ms`); fewer
// throws sdk::Unavailable, and a create is erased again first.
class RedisJobStore final : public sdk::JobStore, public sdk::JobLister, public sdk::WebhookOutbox {
public:
    // Reads the options and parses the URL (ConfigError when it does not parse); does not
    // connect.
    void configure(const sdk::PluginConfig& config, sdk::PluginContext& context) override;
    // Tries one connection and logs the outcome; never fails, connections are made lazily.
    void start() override;
    void stop() noexcept override;
    sdk::Health health() override;
    std::vector<sdk::MetricSample> metrics() override;

    void create(const sdk::JobRecord& record) override;
    std::optional<sdk::JobRecord> get(std::string_view id) override;
    // A change to `queued` is refused. Progress only moves forward: a lower value than the
    // stored one is ignored while the rest of the change still applies (outcome `applied`).
    sdk::TransitionResult transition(std::string_view id, const sdk::JobChange& change) override;
    void erase(std::string_view id) override;
    // Counts only members whose hash still exists, is not final and names this file; other
    // members are removed from the set on the way.
    bool file_in_use(std::string_view file_key) override;
    std::optional<sdk::IdempotencyEntry> find_idempotency_key(
        const sdk::IdempotencyKey& key) override;
    std::optional<sdk::IdempotencyEntry> create_with_idempotency_key(
        const sdk::JobRecord& record, const sdk::IdempotencyKey& key,
        std::chrono::seconds pending_ttl) override;
    void complete_idempotency_key(const sdk::IdempotencyKey& key, std::string_view job_id,
                                  std::chrono::seconds ttl) override;
    void release_idempotency_key(const sdk::IdempotencyKey& key, std::string_view job_id) override;
    // Reads at most limit + 1 live records (plus the expired entries it drops on the way).
    sdk::JobPage list(const sdk::JobQuery& query) override;
    std::vector<sdk::JobRecord> claim_due_webhooks(std::chrono::milliseconds lease,
                                                   std::size_t limit) override;
    bool record_webhook_attempt(std::string_view job_id,
                                const sdk::WebhookAttempt& attempt) override;

private:
    std::string job_key(std::string_view id) const;
    std::string file_set_key(std::string_view file_key) const;
    std::string idempotency_key(const sdk::IdempotencyKey& key) const;
    std::vector<std::string> record_keys(const sdk::JobRecord& record) const;
    void undo_create(const std::string& id, const sdk::IdempotencyKey* key) noexcept;

    sdk::PluginLog* log_ = nullptr;
    std::string job_key_prefix_;      // <key_prefix>job:
    std::string file_set_prefix_;     // <key_prefix>file:
    std::string list_prefix_;         // <key_prefix>list:
    std::string idempotency_prefix_;  // <key_prefix>idempotency:
    std::string webhook_due_key_;     // <key_prefix>webhooks:due
    std::string ttl_seconds_;
    std::unique_ptr<RedisConnectionPool> pool_;
};

}  // namespace visiongw::redis
