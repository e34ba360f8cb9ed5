#include "worker_log.h"

#include <cstdio>
#include <mutex>

namespace visiongw::worker {
namespace {

void write_to_stderr(const LogRecord& record) {
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    std::fprintf(stderr, "[visiongw-worker] %s %s%s%s\n", level_name(record.level),
                 record.message.c_str(),
                 record.job_id.empty() ? "" : " job_id=", record.job_id.c_str());
}

}  // namespace

WorkerLog::WorkerLog(std::function<void(const LogRecord&)> sink)
    : sink_(sink ? std::move(sink) : write_to_stderr) {}

void WorkerLog::write(LogLevel level, std::string message, const Job* job) const {
    LogRecord record{level, std::move(message), {}, {}, {}, {}};
    if (job != nullptr) {
        record.job_id = job->job_id;
        record.request_id = job->request_id;
        record.trace_id = job->trace_id;
        record.span_id = job->span_id;
    }
    sink_(record);
}

void WorkerLog::write(LogLevel level, std::string message, std::string job_id) const {
    sink_(LogRecord{level, std::move(message), std::move(job_id), {}, {}, {}});
}

}  // namespace visiongw::worker
