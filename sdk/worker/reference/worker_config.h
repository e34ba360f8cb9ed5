// The reference worker's configuration: `[rabbitmq]` (shared with the gateway) and `[worker]`
// of the ini file, then the environment overrides of the API contract.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "http_analyzer.h"
#include "visiongw/worker/worker.h"

namespace visiongw::worker::reference {

// One `[worker]` option: the table the loader checks keys against and `--help` prints.
struct WorkerOption {
    const char* key;
    const char* default_value;
    const char* description;
};

const std::vector<WorkerOption>& worker_options();

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
// and are ignored, unknown keys of `[worker]` are errors. Overrides: RABBITMQ_URL,
// RABBITMQ_QUEUE_NAME, RABBITMQ_EXCHANGE_NAME, RABBITMQ_ROUTING_KEY, VISION_SERVICE_URL,
// LLM_SERVICE_URL. Throws WorkerConfigError.
ReferenceWorkerConfig load_worker_config(const std::string& path);

}  // namespace visiongw::worker::reference
