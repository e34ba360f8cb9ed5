// Notifications of the job changes this process makes, for the event streams that watch them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace visiongw::core {

// Wakes the event streams of a job when this process changes it. Only watched jobs are
// tracked, and a change wakes only its own job's streams (not every open stream, each of which
// would then read its job from the store).
class JobChanges {
public:
    // One stream's subscription to one job's changes, from its construction to its end.
    class Watch {
    public:
        Watch(JobChanges& changes, std::string job_id);
        ~Watch();
        Watch(const Watch&) = delete;
        Watch& operator=(const Watch&) = delete;

        // Waits until the job changed since the previous wait (or since the watch began) or
        // `timeout` passed; true when it changed.
        bool wait(std::chrono::milliseconds timeout);

    private:
        JobChanges& changes_;
        std::string job_id_;
        std::uint64_t seen_;
    };

    void notify(const std::string& job_id);

private:
    struct Watched {
        std::uint64_t version = 0;
        int watches = 0;
        std::condition_variable changed;
    };

    std::mutex mutex_;
    std::map<std::string, Watched> watched_;
};

}  // namespace visiongw::core
