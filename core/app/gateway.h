// What request handlers reach: settings, log, metrics, plugins and the job service — the one
// small interface handlers use instead of globals. Built once at start-up; thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "app/plugin_set.h"
#include "config/gateway_settings.h"
#include "http/router.h"
#include "jobs/janitor.h"
#include "jobs/job_service.h"
#include "jobs/upload.h"
#include "ops/api_keys.h"
#include "ops/json_log.h"
#include "ops/metrics.h"
#include "ops/rate_limiter.h"

namespace visiongw::core {

// The gateway's own metric families, made once.
struct GatewayMetrics {
    explicit GatewayMetrics(MetricsRegistry& registry);

    CounterFamily requests;
    HistogramFamily request_seconds;
    Counter uploaded_bytes;
    Histogram upload_size;
    CounterFamily jobs;
    Histogram publish_seconds;
    Counter publish_failures;
    Counter rate_limited;
    Gauge event_streams;
    std::array<std::pair<std::string_view, Histogram>, 4> submit_steps;  // by SubmitStep name

    // Observes an accepted submit's time in each SubmitStep.
    void observe_submit_steps(const StepTimes& steps) const;
};

// Readiness of every dependency, cached briefly so probe storms do not hammer them.
class Readiness {
public:
    struct Check {
        std::string name;
        bool ok;
        double latency_ms;
        std::string detail;
    };

    Readiness(const PluginSet& plugins, std::string vision_service_url,
              std::chrono::milliseconds cache);
    // The checks and whether all passed; at most one caller runs the checks at a time.
    std::pair<bool, std::vector<Check>> evaluate();

private:
    const PluginSet& plugins_;
    std::string vision_service_url_;
    std::chrono::milliseconds cache_;
    std::mutex mutex_;
    std::chrono::steady_clock::time_point checked_at_{};
    std::vector<Check> last_;
};

struct Gateway {
    Gateway(GatewaySettings settings, JsonLog& log, MetricsRegistry& metrics, PluginSet& plugins);

    GatewaySettings settings;
    JsonLog& log;
    MetricsRegistry& registry;
    GatewayMetrics metrics;
    PluginSet& plugins;
    UploadLimits upload_limits;
    std::optional<ApiKeyStore> api_keys;  // set when auth is enabled
    RateLimiter rate_limiter;
    JobService jobs;
    Janitor janitor;
    Readiness readiness;
    std::atomic<int> event_streams{0};
    std::atomic<bool> stopping{false};
};

}  // namespace visiongw::core
