// The reference worker's configuration: `[rabbitmq]` (shared with the gateway) and `[worker]`
// of the ini file, then the environment overrides of the API contract.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "http_analyzer.h"
#include "visiongw/sdk/options.h"
#include "visiongw/worker/worker.h"

namespace visiongw::worker::reference {

// The `[worker]` options, with their defaults, ranges, choices and environment overrides: the
// table the loader checks keys and values against and `--help` prints.
sdk::OptionTable worker_options();
// The keys of the gateway's `[rabbitmq]` the worker reads, with their environment overrides.
sdk::OptionTable rabbitmq_keys();

// What stops start-up; what() is one line naming the file, section, key and reason.
class WorkerConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct ReferenceWorkerConfig {
    WorkerOptions worker;  // everything but `log`
    std::string analyzer;  // "builtin" or "http"
    HttpAnalyzerSettings http;
    LogLevel log_level = LogLevel::info;  // `[log] level`, shared with the gateway
};

// Reads `path`; keys of `[rabbitmq]` and `[log]` the worker does not use belong to the gateway
// and are ignored, unknown keys of `[worker]` are errors; `[worker] storage_root`
// defaults to `[local] root`. An environment variable the tables
// declare (`env`) overrides its key when it is set and not empty. Throws WorkerConfigError.
ReferenceWorkerConfig load_worker_config(const std::string& path);

}  // namespace visiongw::worker::reference
