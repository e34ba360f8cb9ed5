#include "jobs/job_changes.h"

namespace visiongw::core {

JobChanges::Watch::Watch(JobChanges& changes, std::string job_id)
    : changes_(changes), job_id_(std::move(job_id)) {
    std::lock_guard guard(changes_.mutex_);
    Watched& watched = changes_.watched_[job_id_];
    ++watched.watches;
    seen_ = watched.version;
}

JobChanges::Watch::~Watch() {
    std::lock_guard guard(changes_.mutex_);
    auto it = changes_.watched_.find(job_id_);
    if (--it->second.watches == 0)
        changes_.watched_.erase(it);
}

bool JobChanges::Watch::wait(std::chrono::milliseconds timeout) {
    std::unique_lock guard(changes_.mutex_);
    Watched& watched = changes_.watched_.find(job_id_)->second;
    const bool changed =
        watched.changed.wait_for(guard, timeout, [&] { return watched.version != seen_; });
    seen_ = watched.version;
    return changed;
}

void JobChanges::notify(const std::string& job_id) {
    std::lock_guard guard(mutex_);
    if (auto it = watched_.find(job_id); it != watched_.end()) {
        ++it->second.version;
        it->second.changed.notify_all();
    }
}

}  // namespace visiongw::core
