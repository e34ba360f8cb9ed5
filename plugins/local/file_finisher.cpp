#include "file_finisher.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

namespace visiongw::local {
namespace {

// How long a file may wait for others to join its batch. A wake-up per file would cost a thread
// switch per upload; files waiting a few milliseconds cost nothing.
constexpr auto kBatchInterval = std::chrono::milliseconds(20);

}  // namespace

FileFinisher::FileFinisher(std::size_t capacity)
    : capacity_(capacity), wake_at_(std::max<std::size_t>(1, capacity / 2)) {
    waiting_.reserve(capacity_);
    thread_ = std::thread([this] { run(); });
}

FileFinisher::~FileFinisher() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

void FileFinisher::finish(int fd, bool start_writeback) noexcept {
    const OpenFile file{fd, start_writeback};
    std::unique_lock lock(mutex_, std::try_to_lock);
    if (!lock.owns_lock() || waiting_.size() >= capacity_) {
        lock = {};
        finish_now(file);
        return;
    }
    waiting_.push_back(file);
    const bool wake = waiting_.size() == 1 || waiting_.size() >= wake_at_;
    lock.unlock();
    if (wake)
        wake_.notify_one();
}

void FileFinisher::finish_now(OpenFile file) noexcept {
    if (file.start_writeback)
        ::sync_file_range(file.fd, 0, 0, SYNC_FILE_RANGE_WRITE);  // advisory: errors change nothing
    ::close(file.fd);
}

void FileFinisher::run() {
    ::pthread_setname_np(::pthread_self(), "vgw-finisher");
    const sched_param idle{};
    ::pthread_setschedparam(::pthread_self(), SCHED_IDLE, &idle);  // best effort
    std::vector<OpenFile> batch;
    batch.reserve(capacity_);
    std::unique_lock lock(mutex_);
    for (;;) {
        // Idle until a first file comes (no wake-ups without uploads), then a batch's time.
        wake_.wait(lock, [this] { return stopping_ || !waiting_.empty(); });
        wake_.wait_for(lock, kBatchInterval,
                       [this] { return stopping_ || waiting_.size() >= wake_at_; });
        const bool stopping = stopping_;
        batch.swap(waiting_);
        lock.unlock();
        for (const OpenFile& file : batch)
            finish_now(file);
        batch.clear();
        if (stopping)
            return;
        lock.lock();
    }
}

}  // namespace visiongw::local
