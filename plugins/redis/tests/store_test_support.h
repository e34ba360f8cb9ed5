// What the redis job store's tests share: options, records, a log that keeps its lines, and a
// direct connection for looking behind the store's back.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "redis_job_store.h"

namespace visiongw::redis {

// A plugin log that keeps its lines.
class RecordingLog : public sdk::PluginLog {
public:
    void write(sdk::LogLevel, std::string_view message) override {
        std::lock_guard lock(mutex_);
        lines.emplace_back(message);
    }
    std::vector<std::string> lines;

private:
    std::mutex mutex_;
};

// The store's options as the core would pass them, with the table's defaults; `overrides`
// replaces some (the Sentinel and WAIT options).
inline sdk::PluginConfig store_config(
    const std::string& url, const std::string& key_prefix, std::int64_t timeout_ms = 2000,
    std::int64_t ttl_seconds = 600, const std::map<std::string, sdk::OptionValue>& overrides = {}) {
    std::map<std::string, sdk::OptionValue> values{{"url", url},
                                                   {"ttl_seconds", ttl_seconds},
                                                   {"pool_size", std::int64_t{4}},
                                                   {"timeout_ms", timeout_ms},
                                                   {"key_prefix", key_prefix},
                                                   {"sentinels", std::string()},
                                                   {"sentinel_master", std::string("visiongw")},
                                                   {"sentinel_password", std::string()},
                                                   {"wait_replicas", std::int64_t{0}},
                                                   {"wait_timeout_ms", std::int64_t{200}}};
    for (const auto& [name, value] : overrides)
        values[name] = value;
    return sdk::PluginConfig("redis", std::move(values));
}

// A direct connection for looking behind the store's back.
class RedisProbe {
public:
    explicit RedisProbe(const std::string& url)
        : redis_(address_of(parse_redis_url(url)), Poco::Timespan(5, 0)) {}
    Poco::Redis::RedisType::Ptr run(std::vector<std::string> words) {
        Poco::Redis::Array command;
        command << words;
        return redis_.send(command);
    }
    std::int64_t integer(std::vector<std::string> words) {
        auto reply = run(std::move(words));
        return dynamic_cast<Poco::Redis::Type<Poco::Int64>&>(*reply).value();
    }
    void delete_matching(const std::string& pattern) {
        run({"EVAL", "for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end",
             "0", pattern});
    }

private:
    static Poco::Net::SocketAddress address_of(const RedisEndpoint& endpoint) {
        return Poco::Net::SocketAddress(endpoint.host, endpoint.port);
    }
    RedisConnection redis_;
};

inline sdk::JobRecord queued_job(const std::string& id, const std::string& file_key = "abc.jpg") {
    sdk::JobRecord record;
    record.id = id;
    record.tenant = "tenant-1";
    record.analysis_type = "pest";
    record.parameters_json = R"({"confidence_threshold":0.6,"return_details":false})";
    record.file_json = R"({"sha256":"abc","size":10,"format":"jpeg"})";
    record.file_key = file_key;
    record.request_id = "req-" + id;
    record.created_at = "2026-11-28T17:00:00Z";
    record.updated_at = "2026-11-28T17:00:00Z";
    return record;
}

inline sdk::JobChange change_to(sdk::JobStatus status, std::optional<int> progress = std::nullopt) {
    sdk::JobChange change;
    change.status = status;
    change.progress = progress;
    change.updated_at = "2026-11-28T17:00:05Z";
    return change;
}

// Runs `call`, which must throw sdk::Unavailable, and returns how long it took.
template <typename Call>
inline std::chrono::milliseconds time_unavailable(Call&& call) {
    auto started = std::chrono::steady_clock::now();
    EXPECT_THROW(call(), sdk::Unavailable);
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 started);
}

}  // namespace visiongw::redis
