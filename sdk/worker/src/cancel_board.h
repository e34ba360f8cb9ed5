// What running jobs must stop for: cancelled job ids (from the cancel stream) and the worker
// stopping. Thread-safe; every change wakes the waiters.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <unordered_set>

namespace visiongw::worker {

class CancelBoard {
public:
    using Clock = std::chrono::steady_clock;

    void cancel(const std::string& job_id);
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
    std::unordered_set<std::string> cancelled_;
    bool stopping_ = false;
};

}  // namespace visiongw::worker
