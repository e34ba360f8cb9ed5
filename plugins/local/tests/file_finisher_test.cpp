#include "file_finisher.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace visiongw::local {
namespace {

bool is_open(int fd) {
    return ::fcntl(fd, F_GETFD) != -1;
}

// Descriptors of new, already unlinked files with a few dirty bytes each.
std::vector<int> open_files(std::size_t count) {
    std::vector<int> fds;
    for (std::size_t i = 0; i < count; ++i) {
        char path[] = "/tmp/visiongw-finisher-XXXXXX";
        const int fd = ::mkstemp(path);
        EXPECT_GE(fd, 0);
        ::unlink(path);
        EXPECT_EQ(::write(fd, "leaf", 4), 4);
        fds.push_back(fd);
    }
    return fds;
}

TEST(FileFinisherTest, ClosesHandedOverFilesOnItsOwn) {
    FileFinisher finisher(64);
    const std::vector<int> fds = open_files(3);
    for (int fd : fds)
        finisher.finish(fd, true);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    auto open_count = [&] { return std::count_if(fds.begin(), fds.end(), is_open); };
    while (open_count() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_EQ(open_count(), 0);
}

// The voluntary switches of this process's thread named `name`; -1 when there is none.
long switches_of_thread(const std::string& name) {
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
        std::ifstream comm(task.path() / "comm");
        std::string task_name;
        std::getline(comm, task_name);
        if (task_name != name)
            continue;
        std::ifstream status(task.path() / "status");
        for (std::string line; std::getline(status, line);) {
            if (line.rfind("voluntary_ctxt_switches:", 0) == 0)
                return std::stol(line.substr(line.find(':') + 1));
        }
    }
    return -1;
}

// Without uploads the thread sleeps; it used to wake every 20 ms for an empty batch.
TEST(FileFinisherTest, SleepsWhileNoFileWaits) {
    FileFinisher finisher(64);
    finisher.finish(open_files(1).front(), false);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // that batch is done
    const long before = switches_of_thread("vgw-finisher");
    ASSERT_GE(before, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    EXPECT_LE(switches_of_thread("vgw-finisher") - before, 1);
}

TEST(FileFinisherTest, CallerFinishesItsFileWhenNoneMayWait) {
    FileFinisher finisher(0);
    const int fd = open_files(1).front();
    finisher.finish(fd, true);
    EXPECT_FALSE(is_open(fd));
}

TEST(FileFinisherTest, DestructionFinishesEveryWaitingFile) {
    const std::vector<int> fds = open_files(10);
    {
        FileFinisher finisher(64);
        for (int fd : fds)
            finisher.finish(fd, false);
    }
    for (int fd : fds)
        EXPECT_FALSE(is_open(fd)) << "descriptor " << fd;
}

}  // namespace
}  // namespace visiongw::local
