// The worker library: takes jobs from the gateway's broker, runs them through an analyzer and
// reports back by sdk/PROTOCOL.md. A worker program only writes the analyzer.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "visiongw/amqp/topology.h"
#include "visiongw/worker/analysis.h"

namespace visiongw::worker {

// The exchange and queue names and arguments of `[rabbitmq]`, shared with the gateway.
using Topology = amqp::Topology;

enum class LogLevel { debug, info, warning, error };

inline const char* level_name(LogLevel level) {
    switch (level) {
        case LogLevel::debug:
            return "debug";
        case LogLevel::info:
            return "info";
        case LogLevel::warning:
            return "warning";
        case LogLevel::error:
            return "error";
    }
    return "info";
}

// One thing the worker did or saw; `job_id`, `request_id`, `trace_id` and `span_id` (the job's
// trace and this worker's span of it) are empty when not about a job.
struct LogRecord {
    LogLevel level = LogLevel::info;
    std::string message;
    std::string job_id;
    std::string request_id;
    std::string trace_id;
    std::string span_id;
};

struct WorkerOptions {
    std::string amqp_url = "amqp://guest:guest@localhost:5672/";
    // The folder the gateway stores images in (its `[local] root`); required. A job message's
    // file_path is input from whoever can publish to the job queue: the worker reads only a
    // regular file below this folder, reached through no symbolic link, and fails any other
    // job with `file_forbidden`.
    std::string storage_root;
    Topology topology;
    int concurrency = 1;  // jobs run at once; also the prefetch of the job queue
    int max_retries = 3;  // further attempts after a retryable failure
    std::chrono::milliseconds retry_backoff{500};  // before the first retry; doubles each time
    // Bound of one attempt; keep it below the broker's consumer_timeout (PROTOCOL.md).
    std::chrono::seconds max_analysis{600};
    // At most one progress event per interval, counted from the job's `started` event (a job
    // shorter than that sends none): every event is a persistent message that the gateway
    // applies to the job record in turn, so an analyzer reporting each percent would queue ~100
    // of them ahead of its result.
    std::chrono::milliseconds progress_interval{250};
    std::string worker_id;  // in every event; empty: "<hostname>-<pid>"
    // Called from several threads at once; empty: plain lines on stderr.
    std::function<void(const LogRecord&)> log;
};

// Runs jobs until stopped: one broker connection serviced by its own thread (heartbeats,
// reconnection after broker loss), `concurrency` job threads, acknowledgements only after the
// final event was confirmed. run() once per object.
class Worker {
public:
    // Throws std::invalid_argument for an unusable option (concurrency < 1, bad URL, ...).
    Worker(WorkerOptions options, Analyzer analyzer);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // Blocks until stop(). Jobs running then are abandoned unacknowledged: the broker gives
    // them to another worker.
    void run();
    // Thread-safe; may come before run() (then run() returns at once). Not async-signal-safe.
    void stop();

private:
    struct Parts;
    std::unique_ptr<Parts> parts_;
};

}  // namespace visiongw::worker
