// What running jobs must stop for: cancelled job ids (from the cancel stream) and the worker
// stopping. Thread-safe; every change wakes the waiters.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_set>
#include <utility>

namespace visiongw::worker {

class CancelBoard {
public:
    using Clock = std::chrono::steady_clock;

    // Forgets a cancellation `memory` after it was seen: the cancel stream keeps entries that
    // long (its x-max-age), so a worker started later would not know of it either.
    explicit CancelBoard(Clock::duration memory) : memory_(memory) {}

    void cancel(const std::string& job_id, Clock::time_point now = Clock::now());
    bool cancelled(const std::string& job_id) const;

    void stop();
    bool stopping() const;
    // Blocks until stop().
    void wait_until_stopping() const;

    // Sleeps until `until`; returns false early when the job is cancelled or the worker stops.
    bool sleep_until(const std::string& job_id, Clock::time_point until) const;

private:
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    const Clock::duration memory_;
    std::unordered_set<std::string> cancelled_;
    std::deque<std::pair<Clock::time_point, std::string>> seen_;  // oldest first
    bool stopping_ = false;
};

}  // namespace visiongw::worker
