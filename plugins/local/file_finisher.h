// Closes committed uploads off the request path.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>
#include <vector>

namespace visiongw::local {

// Starts the writeback of committed files and closes them on a thread of idle priority
// (SCHED_IDLE), which runs when the CPU has nothing else to do: the request thread hands its
// descriptor over and answers. A request thread never waits for that thread: when `capacity`
// files are waiting (or another thread holds the hand-over lock) it finishes its file itself.
// The destructor finishes every file still waiting.
class FileFinisher {
public:
    explicit FileFinisher(std::size_t capacity);
    FileFinisher(const FileFinisher&) = delete;
    FileFinisher& operator=(const FileFinisher&) = delete;
    ~FileFinisher();

    // Takes ownership of `fd`. `start_writeback`: the file is a new blob whose pages should go
    // to disk now rather than pile up for the kernel's flusher (see LocalStorage).
    void finish(int fd, bool start_writeback) noexcept;

private:
    struct OpenFile {
        int fd;
        bool start_writeback;
    };

    static void finish_now(OpenFile file) noexcept;
    void run();

    const std::size_t capacity_;
    const std::size_t wake_at_;  // files waiting that end a batch's wait early
    std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<OpenFile> waiting_;  // guarded by mutex_
    bool stopping_ = false;          // guarded by mutex_
    std::thread thread_;
};

}  // namespace visiongw::local
