// The library's side of WorkerOptions::log: fills in the job fields of each record.
#pragma once

#include <functional>
#include <string>

#include "visiongw/worker/worker.h"

namespace visiongw::worker {

class WorkerLog {
public:
    // An empty sink writes plain lines to stderr.
    explicit WorkerLog(std::function<void(const LogRecord&)> sink);

    void write(LogLevel level, std::string message, const Job* job = nullptr) const;
    void write(LogLevel level, std::string message, std::string job_id) const;

private:
    std::function<void(const LogRecord&)> sink_;
};

}  // namespace visiongw::worker
