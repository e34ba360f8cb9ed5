#include "jobs/janitor.h"

#include <pthread.h>

namespace visiongw::core {

CleanupReport Janitor::cleanup() {
    CleanupReport report;
    for (const auto& blob : storage_.expired(std::chrono::system_clock::now())) {
        if (job_service_.release_blob(blob.key, blob.stored_at)) {
            ++report.removed_files;
            report.freed_bytes += blob.size;
        } else {
            ++report.kept_in_use;
        }
    }
    return report;
}

void Janitor::start(std::chrono::seconds interval,
                    std::function<void(const std::string&)> on_error) {
    thread_ = std::thread([this, interval, on_error = std::move(on_error)] {
        pthread_setname_np(pthread_self(), "vgw-janitor");  // as top -H and perf show it
        std::unique_lock<std::mutex> guard(mutex_);
        while (!wake_.wait_for(guard, interval, [this] { return stopping_; })) {
            guard.unlock();
            try {
                cleanup();
            } catch (const std::exception& e) {
                on_error(e.what());
            }
            guard.lock();
        }
    });
}

void Janitor::stop() {
    {
        std::lock_guard<std::mutex> guard(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable())
        thread_.join();
}

}  // namespace visiongw::core
