#include "jobs/blob_locks.h"

namespace visiongw::core {

BlobLocks::Guard::Guard(BlobLocks& locks, std::string key) : locks_(&locks), key_(std::move(key)) {
    std::unique_lock lock(locks.mutex_);
    locks.released_.wait(lock, [&] { return !locks.held_.contains(key_); });
    locks.held_.insert(key_);
}

void BlobLocks::Guard::unlock() {
    if (locks_ == nullptr)
        return;
    {
        std::lock_guard lock(locks_->mutex_);
        locks_->held_.erase(key_);
    }
    locks_->released_.notify_all();
    locks_ = nullptr;
}

}  // namespace visiongw::core
