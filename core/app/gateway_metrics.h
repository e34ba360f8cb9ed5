// The gateway's own metric families: requests, uploads, job changes, publishes, rate limits,
// event streams and submit steps.
#pragma once

#include <array>
#include <string_view>
#include <utility>

#include "ops/metrics.h"
#include "ops/step_clock.h"

namespace visiongw::core {

// The gateway's own metric families, made once.
struct GatewayMetrics {
    explicit GatewayMetrics(MetricsRegistry& registry);

    CounterFamily requests;
    HistogramFamily request_seconds;
    Counter uploaded_bytes;
    Histogram upload_size;
    CounterFamily job_status_changes;
    Histogram publish_seconds;
    Counter publish_failures;
    Counter rate_limited;
    Gauge event_streams;
    CounterFamily webhook_deliveries;  // by outcome: delivered, retry, failed
    std::array<std::pair<std::string_view, Histogram>, 4> submit_steps;  // by SubmitStep name

    // Observes an accepted submit's time in each SubmitStep.
    void observe_submit_steps(const StepTimes& steps) const;
};

}  // namespace visiongw::core
