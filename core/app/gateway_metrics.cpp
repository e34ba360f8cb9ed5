#include "app/gateway_metrics.h"

#include <string>
#include <vector>

#include "jobs/submit_step.h"

namespace visiongw::core {
namespace {

std::vector<double> latency_buckets() {
    return {0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::array<std::pair<std::string_view, Histogram>, 4> submit_step_cells(MetricsRegistry& registry) {
    HistogramFamily family = registry.histogram_family(
        "visiongw_submit_step_duration_seconds",
        "time accepted submits spent in each step: upload (body read, hashed and written), commit "
        "(image stored), record (job record written), publish (until the broker's confirm)",
        latency_buckets());
    auto cell = [&](std::string_view step) {
        std::string label(step.substr(0, step.find('_')));  // "upload_ms" -> "upload"
        return std::pair{step, family.with({{"step", label}})};
    };
    return {cell(SubmitStep::upload), cell(SubmitStep::commit), cell(SubmitStep::record),
            cell(SubmitStep::publish)};
}

}  // namespace

GatewayMetrics::GatewayMetrics(MetricsRegistry& registry)
    : requests(registry.counter_family("visiongw_http_requests_total",
                                       "HTTP requests by route, method and status")),
      request_seconds(registry.histogram_family("visiongw_http_request_duration_seconds",
                                                "HTTP request latency by route",
                                                latency_buckets())),
      uploaded_bytes(registry.counter("visiongw_uploaded_bytes_total",
                                      "image bytes received in accepted uploads")),
      upload_size(registry
                      .histogram_family("visiongw_upload_size_bytes", "size of accepted images",
                                        exponential_buckets(16384, 4, 8))
                      .with({})),
      job_status_changes(registry.counter_family(
          "visiongw_jobs_total", "job state changes made by this gateway, by new status")),
      publish_seconds(registry
                          .histogram_family("visiongw_queue_publish_duration_seconds",
                                            "time from publish to the broker's confirm",
                                            latency_buckets())
                          .with({})),
      publish_failures(registry.counter("visiongw_queue_publish_failures_total",
                                        "job messages the queue did not confirm")),
      rate_limited(
          registry.counter("visiongw_rate_limited_requests_total", "requests answered 429")),
      event_streams(registry.gauge("visiongw_event_streams", "open job event streams")),
      webhook_deliveries(registry.counter_family(
          "visiongw_webhook_deliveries_total",
          "webhook delivery attempts by outcome: delivered, retry (failed, tried again later), "
          "failed (given up)")),
      submit_steps(submit_step_cells(registry)) {}

void GatewayMetrics::observe_submit_steps(const StepTimes& steps) const {
    for (const auto& [step, ms] : steps) {
        for (const auto& [name, cell] : submit_steps) {
            if (name == step)
                cell.observe(ms / 1000);
        }
    }
}

}  // namespace visiongw::core
