// JobChanges: an event stream is woken by its own job's changes only.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "jobs/job_changes.h"

namespace visiongw::core {
namespace {

using namespace std::chrono_literals;

constexpr auto kQuiet = 50ms;  // a wait that nothing should end
constexpr auto kWoken = 10s;   // a wait that a change ends long before

TEST(JobChanges, AChangeWakesOnlyTheWatchesOfItsJob) {
    JobChanges changes;
    JobChanges::Watch first(changes, "job-a");
    JobChanges::Watch second(changes, "job-a");
    JobChanges::Watch other(changes, "job-b");
    std::thread notifier([&] {
        std::this_thread::sleep_for(20ms);
        changes.notify("job-a");
    });
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(first.wait(kWoken));
    EXPECT_LT(std::chrono::steady_clock::now() - start, kWoken / 2);
    notifier.join();
    EXPECT_TRUE(second.wait(kQuiet));
    // Every open stream used to wake for every change and read its job from the store.
    EXPECT_FALSE(other.wait(kQuiet));
}

TEST(JobChanges, EachChangeIsSeenOnceEvenWhenMadeBeforeTheWait) {
    JobChanges changes;
    JobChanges::Watch watch(changes, "job-a");
    changes.notify("job-a");
    changes.notify("job-a");
    EXPECT_TRUE(watch.wait(0ms));
    EXPECT_FALSE(watch.wait(kQuiet));
}

TEST(JobChanges, OnlyWatchedJobsAreTracked) {
    JobChanges changes;
    changes.notify("job-a");  // nobody watches: forgotten
    {
        JobChanges::Watch watch(changes, "job-a");
        EXPECT_FALSE(watch.wait(kQuiet));
    }
    changes.notify("job-a");  // the last watch ended: forgotten again
    JobChanges::Watch later(changes, "job-a");
    EXPECT_FALSE(later.wait(kQuiet));
}

}  // namespace
}  // namespace visiongw::core
