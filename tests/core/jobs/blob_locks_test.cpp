#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <vector>

#include "jobs/blob_locks.h"

namespace visiongw::core {
namespace {

using namespace std::chrono_literals;

constexpr auto kStillWaiting = 100ms;  // a lock that is free is taken well within this
constexpr auto kTaken = 10s;

// Locks `key` on another thread and reports when it got it.
std::future<void> lock_elsewhere(BlobLocks& locks, const std::string& key) {
    return std::async(std::launch::async, [&locks, key] { auto guard = locks.lock(key); });
}

TEST(BlobLocks, AnotherContentAddressDoesNotWait) {
    BlobLocks locks;
    auto held = locks.lock("a.jpg");
    // Locks shared by stripes of addresses made unrelated submits wait for each other's broker
    // confirm; among 500 addresses some would share a stripe with the held one.
    std::vector<std::future<void>> others;
    for (int i = 0; i < 500; ++i)
        others.push_back(lock_elsewhere(locks, std::to_string(i) + ".jpg"));
    others.push_back(lock_elsewhere(locks, "a.png"));
    const auto deadline = std::chrono::steady_clock::now() + kTaken;
    std::size_t taken = 0;
    for (auto& other : others)
        taken += other.wait_until(deadline) == std::future_status::ready;
    EXPECT_EQ(taken, others.size());
    held.unlock();  // lets any that wait finish
}

TEST(BlobLocks, TheSameContentAddressWaitsForItsRelease) {
    BlobLocks locks;
    auto held = locks.lock("a.jpg");
    auto waiting = lock_elsewhere(locks, "a.jpg");
    EXPECT_EQ(waiting.wait_for(kStillWaiting), std::future_status::timeout);
    held.unlock();
    EXPECT_EQ(waiting.wait_for(kTaken), std::future_status::ready);
    held.unlock();                     // a second unlock changes nothing
    auto again = locks.lock("a.jpg");  // released by the waiter's guard
}

TEST(BlobLocks, DestroyingTheGuardReleases) {
    BlobLocks locks;
    std::future<void> waiting;
    {
        auto held = locks.lock("a.jpg");
        waiting = lock_elsewhere(locks, "a.jpg");
        EXPECT_EQ(waiting.wait_for(kStillWaiting), std::future_status::timeout);
    }
    EXPECT_EQ(waiting.wait_for(kTaken), std::future_status::ready);
}

}  // namespace
}  // namespace visiongw::core
