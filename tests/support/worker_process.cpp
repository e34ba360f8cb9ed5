#include "worker_process.h"

#include <signal.h>
#include <sys/wait.h>

#include "eventually.h"
#include "gateway_process.h"

namespace visiongw::testing {

WorkerProcess::WorkerProcess(const std::string& config_path, std::string log_path)
    : log_path_(std::move(log_path)),
      pid_(spawn_logged({build_dir() + "/bin/visiongw-worker", "--config", config_path},
                        {"PATH=/usr/bin:/bin"}, log_path_)) {}

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
    return read_whole_file(log_path_);
}

bool WorkerProcess::wait_for_line(const std::string& message, const std::string& job_id,
                                  std::chrono::milliseconds timeout) const {
    return eventually([&] { return count_lines(output(), {message, job_id}) > 0; }, timeout);
}

}  // namespace visiongw::testing
