#include "ops/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace visiongw::core {

namespace {

constexpr std::size_t kShards = 16;
// A shard sweeps out full buckets when it grows to this size, then to twice what survived.
constexpr std::size_t kMinSweepSize = 256;

// Hashes std::string and std::string_view alike, so lookups need no copy of the identity.
struct IdentityHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view identity) const {
        return std::hash<std::string_view>{}(identity);
    }
};

std::uint32_t whole_seconds_up(double seconds) {
    return static_cast<std::uint32_t>(
        std::min(std::ceil(seconds), double{std::numeric_limits<std::uint32_t>::max()}));
}

}  // namespace

// One route class's buckets, split into independently locked shards.
class RateLimiter::BucketTable {
public:
    BucketTable(std::string_view class_name, RateLimit limit) : limit_(limit) {
        if (!std::isfinite(limit.requests_per_second) || limit.requests_per_second < 0) {
            throw std::invalid_argument(std::string(class_name) +
                                        ": requests per second must be a number >= 0");
        }
        if (limit.requests_per_second > 0 && limit.burst == 0) {
            throw std::invalid_argument(std::string(class_name) +
                                        ": burst must be at least 1 when the rate is limited");
        }
    }

    RateDecision take(std::string_view identity, Clock::time_point now) {
        if (limit_.requests_per_second == 0) {
            return RateDecision{};
        }
        Shard& shard = shards_[IdentityHash{}(identity) % kShards];
        std::lock_guard lock(shard.mutex);
        auto it = shard.buckets.find(identity);
        if (it == shard.buckets.end()) {
            if (shard.buckets.size() >= shard.sweep_size) {
                sweep(shard, now);
            }
            it = shard.buckets.emplace(identity, Bucket{double(limit_.burst), now}).first;
        }
        Bucket& bucket = it->second;
        refill(bucket, now);
        RateDecision decision;
        decision.limited = true;
        decision.limit = limit_.burst;
        decision.allowed = bucket.tokens >= 1;
        if (decision.allowed) {
            bucket.tokens -= 1;
        } else {
            decision.retry_after_seconds = std::max<std::uint32_t>(
                1, whole_seconds_up((1 - bucket.tokens) / limit_.requests_per_second));
        }
        decision.remaining = static_cast<std::uint32_t>(std::floor(bucket.tokens));
        decision.reset_seconds =
            whole_seconds_up((limit_.burst - bucket.tokens) / limit_.requests_per_second);
        return decision;
    }

    std::size_t size() const {
        std::size_t total = 0;
        for (const Shard& shard : shards_) {
            std::lock_guard lock(shard.mutex);
            total += shard.buckets.size();
        }
        return total;
    }

private:
    struct Bucket {
        double tokens;
        Clock::time_point updated;
    };

    struct Shard {
        mutable std::mutex mutex;
        std::unordered_map<std::string, Bucket, IdentityHash, std::equal_to<>> buckets;
        std::size_t sweep_size = kMinSweepSize;
    };

    void refill(Bucket& bucket, Clock::time_point now) const {
        if (now <= bucket.updated) {
            return;
        }
        const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
        bucket.tokens =
            std::min(double(limit_.burst), bucket.tokens + elapsed * limit_.requests_per_second);
        bucket.updated = now;
    }

    // Drops the buckets that have refilled completely: a new bucket would start the same.
    void sweep(Shard& shard, Clock::time_point now) const {
        for (auto it = shard.buckets.begin(); it != shard.buckets.end();) {
            refill(it->second, now);
            it = it->second.tokens >= limit_.burst ? shard.buckets.erase(it) : std::next(it);
        }
        shard.sweep_size = std::max(kMinSweepSize, 2 * shard.buckets.size());
    }

    const RateLimit limit_;
    std::array<Shard, kShards> shards_;
};

RateLimiter::RateLimiter(RateLimit submit, RateLimit read)
    : tables_{std::make_unique<BucketTable>("submit", submit),
              std::make_unique<BucketTable>("read", read)} {}

RateLimiter::~RateLimiter() = default;

RateDecision RateLimiter::take(std::string_view identity, RouteClass route_class,
                               Clock::time_point now) {
    return tables_[static_cast<std::size_t>(route_class)]->take(identity, now);
}

std::size_t RateLimiter::bucket_count() const {
    return tables_[0]->size() + tables_[1]->size();
}

}  // namespace visiongw::core
