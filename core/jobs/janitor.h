// Removes stored images past their TTL that no unfinished job references, now (cleanup) or
// every interval on its own thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "jobs/job_service.h"

namespace visiongw::core {

struct CleanupReport {
    std::uint64_t removed_files = 0;
    std::uint64_t freed_bytes = 0;
    std::uint64_t kept_in_use = 0;  // expired, but an unfinished job still needs them
};

class Janitor {
public:
    Janitor(sdk::StorageBackend& storage, JobService& job_service)
        : storage_(storage), job_service_(job_service) {}
    ~Janitor() { stop(); }

    // One pass; safe to call from any thread, also while the periodic pass runs.
    CleanupReport cleanup();
    // Runs cleanup() every `interval` until stop(); failures are reported to `on_error`.
    void start(std::chrono::seconds interval, std::function<void(const std::string&)> on_error);
    void stop();

private:
    sdk::StorageBackend& storage_;
    JobService& job_service_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace visiongw::core
