#include "worker_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "eventually.h"
#include "gateway_process.h"

namespace visiongw::testing {

WorkerProcess::WorkerProcess(const std::string& config_path, std::string log_path)
    : log_path_(std::move(log_path)) {
    std::vector<std::string> arguments{build_dir() + "/bin/visiongw-worker", "--config",
                                       config_path};
    std::vector<char*> argv;
    for (auto& argument : arguments)
        argv.push_back(argument.data());
    argv.push_back(nullptr);
    char path_variable[] = "PATH=/usr/bin:/bin";
    char* environment[] = {path_variable, nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    int error = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environment);
    posix_spawn_file_actions_destroy(&actions);
    if (error != 0)
        throw std::runtime_error("cannot start " + arguments[0]);
}

WorkerProcess::~WorkerProcess() {
    if (pid_ > 0)
        stop(SIGKILL);
}

int WorkerProcess::stop(int signal) {
    kill(pid_, signal);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
}

std::string WorkerProcess::output() const {
    std::ifstream log(log_path_);
    std::stringstream text;
    text << log.rdbuf();
    return text.str();
}

bool WorkerProcess::wait_for_line(const std::string& message, const std::string& job_id,
                                  std::chrono::milliseconds timeout) const {
    return eventually([&] { return count_lines(output(), {message, job_id}) > 0; }, timeout);
}

}  // namespace visiongw::testing
