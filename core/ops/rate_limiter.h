// Request rate limits: one token bucket per client identity and route class.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>

namespace visiongw::core {

// Which budget a route spends: uploads (`POST …/analyze`) or reads (job status, events, …).
enum class RouteClass { submit, read };

// A route class's limit: a sustained rate and a burst (the bucket's capacity, the most requests
// allowed at once). A rate of 0 means unlimited; the burst is then ignored.
struct RateLimit {
    double requests_per_second = 0;
    std::uint32_t burst = 0;
};

// The answer for one request and what its headers need. When `limited` is false (unlimited
// class) no RateLimit-* header is sent and the other numbers are 0.
struct RateDecision {
    bool allowed = true;
    bool limited = false;
    // RateLimit-Limit: the burst.
    std::uint32_t limit = 0;
    // RateLimit-Remaining: whole requests still allowed right now.
    std::uint32_t remaining = 0;
    // RateLimit-Reset: seconds until the bucket is full again.
    std::uint32_t reset_seconds = 0;
    // Retry-After when denied (≥ 1): seconds until one request is allowed again; 0 when allowed.
    std::uint32_t retry_after_seconds = 0;
};

// Token buckets keyed by (identity, route class). The identity is whatever the caller keys
// clients by, e.g. "key:<tenant>/<key_id>" with API keys, else "addr:<client address>".
// Thread-safe and exact under concurrency: buckets live in shards, each behind its own mutex.
// Memory stays bounded by the clients seen within one refill period: a bucket that has refilled
// completely is indistinguishable from a new one and is dropped as new buckets are made.
class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;

    // Throws std::invalid_argument for a negative or non-finite rate, or a limited class with
    // burst 0.
    RateLimiter(RateLimit submit, RateLimit read);
    ~RateLimiter();
    RateLimiter(const RateLimiter&) = delete;
    RateLimiter& operator=(const RateLimiter&) = delete;

    // Spends one token of the identity's bucket for this class if it has one. `now` is the
    // caller's clock reading (injectable for tests); a reading older than the bucket's last one
    // counts as no time passed.
    RateDecision take(std::string_view identity, RouteClass route_class, Clock::time_point now);

    // Buckets held now, over all classes.
    std::size_t bucket_count() const;

private:
    class BucketTable;
    std::array<std::unique_ptr<BucketTable>, 2> tables_;
};

}  // namespace visiongw::core
