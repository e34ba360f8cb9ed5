#include "ops/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace visiongw::core {
namespace {

using namespace std::chrono_literals;
using Clock = RateLimiter::Clock;

const Clock::time_point kStart{};

TEST(RateLimiterTest, BurstIsAllowedThenDeniedWithHeaders) {
    RateLimiter limiter({2, 3}, {0, 0});
    for (std::uint32_t i = 0; i < 3; ++i) {
        const RateDecision decision = limiter.take("key:acme/abc", RouteClass::submit, kStart);
        EXPECT_TRUE(decision.allowed);
        EXPECT_TRUE(decision.limited);
        EXPECT_EQ(decision.limit, 3u);
        EXPECT_EQ(decision.remaining, 2 - i);
        EXPECT_EQ(decision.retry_after_seconds, 0u);
    }
    const RateDecision denied = limiter.take("key:acme/abc", RouteClass::submit, kStart);
    EXPECT_FALSE(denied.allowed);
    EXPECT_EQ(denied.remaining, 0u);
    EXPECT_EQ(denied.retry_after_seconds, 1u);
    EXPECT_EQ(denied.reset_seconds, 2u);
}

TEST(RateLimiterTest, RefillsOverTimeUpToTheBurst) {
    RateLimiter limiter({0.5, 2}, {0, 0});
    EXPECT_TRUE(limiter.take("a", RouteClass::submit, kStart).allowed);
    EXPECT_TRUE(limiter.take("a", RouteClass::submit, kStart).allowed);
    const RateDecision denied = limiter.take("a", RouteClass::submit, kStart + 1s);
    EXPECT_FALSE(denied.allowed);
    EXPECT_EQ(denied.retry_after_seconds, 1u);
    EXPECT_EQ(denied.reset_seconds, 3u);

    EXPECT_TRUE(limiter.take("a", RouteClass::submit, kStart + 2s).allowed);
    EXPECT_FALSE(limiter.take("a", RouteClass::submit, kStart + 2s).allowed);

    // A long pause refills to the burst, not beyond it.
    EXPECT_TRUE(limiter.take("a", RouteClass::submit, kStart + 1h).allowed);
    EXPECT_TRUE(limiter.take("a", RouteClass::submit, kStart + 1h).allowed);
    EXPECT_FALSE(limiter.take("a", RouteClass::submit, kStart + 1h).allowed);
}

TEST(RateLimiterTest, AnOlderClockReadingAddsNothing) {
    RateLimiter limiter({1, 1}, {0, 0});
    EXPECT_TRUE(limiter.take("a", RouteClass::submit, kStart + 10s).allowed);
    EXPECT_FALSE(limiter.take("a", RouteClass::submit, kStart + 5s).allowed);
    EXPECT_TRUE(limiter.take("a", RouteClass::submit, kStart + 11s).allowed);
}

TEST(RateLimiterTest, IdentitiesAndClassesAreIndependent) {
    RateLimiter limiter({1, 1}, {1, 2});
    EXPECT_TRUE(limiter.take("key:acme/1", RouteClass::submit, kStart).allowed);
    EXPECT_FALSE(limiter.take("key:acme/1", RouteClass::submit, kStart).allowed);
    EXPECT_TRUE(limiter.take("key:other/2", RouteClass::submit, kStart).allowed);
    const RateDecision read = limiter.take("key:acme/1", RouteClass::read, kStart);
    EXPECT_TRUE(read.allowed);
    EXPECT_EQ(read.limit, 2u);
}

TEST(RateLimiterTest, RateZeroIsUnlimited) {
    RateLimiter limiter({0, 0}, {0, 5});
    for (int i = 0; i < 1000; ++i) {
        const RateDecision decision = limiter.take("a", RouteClass::read, kStart);
        ASSERT_TRUE(decision.allowed);
        ASSERT_FALSE(decision.limited);
    }
    EXPECT_EQ(limiter.bucket_count(), 0u);
}

TEST(RateLimiterTest, RejectsBadLimits) {
    EXPECT_THROW(RateLimiter({-1, 1}, {0, 0}), std::invalid_argument);
    EXPECT_THROW(RateLimiter({0, 0}, {1, 0}), std::invalid_argument);
    EXPECT_THROW(RateLimiter({std::numeric_limits<double>::quiet_NaN(), 1}, {0, 0}),
                 std::invalid_argument);
}

TEST(RateLimiterTest, ConcurrentTakesAllowExactlyBurstPlusRefill) {
    constexpr int kThreads = 8;
    constexpr int kTakes = 5000;
    RateLimiter limiter({10, 50}, {0, 0});
    std::atomic<int> allowed{0};
    std::barrier drained(kThreads);
    const auto take_many = [&](Clock::time_point now) {
        for (int i = 0; i < kTakes; ++i) {
            if (limiter.take("addr:10.0.0.1", RouteClass::submit, now).allowed) {
                ++allowed;
            }
        }
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            take_many(kStart);
            drained.arrive_and_wait();
            // Three seconds later 30 tokens have come back.
            take_many(kStart + 3s);
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(allowed.load(), 50 + 30);
}

TEST(RateLimiterTest, FullIdleBucketsAreEvicted) {
    RateLimiter limiter({1, 1}, {0, 0});
    for (int i = 0; i < 20000; ++i) {
        limiter.take("addr:" + std::to_string(i), RouteClass::submit, kStart);
    }
    EXPECT_EQ(limiter.bucket_count(), 20000u);
    // After one second every bucket is full again; new clients sweep the old ones out.
    for (int i = 0; i < 20000; ++i) {
        limiter.take("later:" + std::to_string(i), RouteClass::submit, kStart + 1s);
    }
    EXPECT_LT(limiter.bucket_count(), 25000u);
    // An evicted client starts again with a full bucket, just as if it had been kept.
    EXPECT_TRUE(limiter.take("addr:7", RouteClass::submit, kStart + 2s).allowed);
}

}  // namespace
}  // namespace visiongw::core
