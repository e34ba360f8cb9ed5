#include "cancel_board.h"

namespace visiongw::worker {

void CancelBoard::cancel(const std::string& job_id, Clock::time_point now) {
    {
        std::lock_guard lock(mutex_);
        while (!seen_.empty() && now - seen_.front().first > memory_) {
            cancelled_.erase(seen_.front().second);
            seen_.pop_front();
        }
        if (cancelled_.insert(job_id).second)
            seen_.emplace_back(now, job_id);
    }
    changed_.notify_all();
}

bool CancelBoard::cancelled(const std::string& job_id) const {
    std::lock_guard lock(mutex_);
    return cancelled_.count(job_id) != 0;
}

void CancelBoard::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
}

bool CancelBoard::stopping() const {
    std::lock_guard lock(mutex_);
    return stopping_;
}

void CancelBoard::wait_until_stopping() const {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return stopping_; });
}

bool CancelBoard::sleep_until(const std::string& job_id, Clock::time_point until) const {
    std::unique_lock lock(mutex_);
    return !changed_.wait_until(lock, until,
                                [&] { return stopping_ || cancelled_.count(job_id) != 0; });
}

}  // namespace visiongw::worker
