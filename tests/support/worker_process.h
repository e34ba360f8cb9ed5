// A real `visiongw-worker` process reading a gateway's ini file, for whole-system tests.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

namespace visiongw::testing {

class WorkerProcess {
public:
    // Starts build/bin/visiongw-worker --config `config_path` with an environment of PATH only
    // (so no RABBITMQ_* or VISION_SERVICE_URL of the test's environment overrides the file),
    // its stdout and stderr appended to `log_path`.
    WorkerProcess(const std::string& config_path, std::string log_path);
    // SIGKILLs the process if it still runs.
    ~WorkerProcess();
    WorkerProcess(const WorkerProcess&) = delete;
    WorkerProcess& operator=(const WorkerProcess&) = delete;

    // Sends `signal` and returns the wait status of the process.
    int stop(int signal);
    // Everything the process logged so far (one JSON object per line).
    std::string output() const;
    // Waits until a line of the log holds `message` and `job_id`; false after `timeout`.
    bool wait_for_line(const std::string& message, const std::string& job_id,
                       std::chrono::milliseconds timeout) const;

private:
    std::string log_path_;
    pid_t pid_ = -1;
};

}  // namespace visiongw::testing
