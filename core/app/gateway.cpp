#include "app/gateway.h"

namespace visiongw::core {

Gateway::Gateway(GatewaySettings s, JsonLog& log, MetricsRegistry& registry, PluginSet& plugins)
    : settings(std::move(s)),
      log(log),
      registry(registry),
      metrics(registry),
      plugins(plugins),
      upload_limits{settings.max_file_size, settings.max_field_bytes,
                    ImagePolicy{settings.max_pixels, parse_image_formats(settings.formats)}},
      api_keys(settings.auth_enabled
                   ? std::optional<ApiKeyStore>(ApiKeyStore::load(settings.keys_file))
                   : std::nullopt),
      rate_limiter(RateLimit{settings.submit_per_second, settings.submit_burst},
                   RateLimit{settings.read_per_second, settings.read_burst}),
      job_service(
          JobPlugins{plugins.storage(), plugins.queue(), plugins.job_store(), plugins.validators()},
          std::chrono::milliseconds(settings.publish_timeout_ms), settings.auth_enabled,
          std::chrono::seconds(settings.idempotency_key_ttl_seconds),
          JobObserver{[this](const std::string&, sdk::JobStatus status) {
                          metrics.job_status_changes
                              .with({{"status", std::string(sdk::to_string(status))}})
                              .increment();
                      },
                      [this](double seconds, bool ok) {
                          if (ok) {
                              metrics.publish_seconds.observe(seconds);
                          } else {
                              metrics.publish_failures.increment();
                          }
                      },
                      [this](const std::string& message, const std::string& job_id) {
                          this->log.write(sdk::LogLevel::warning, message, {{"job_id", job_id}});
                      },
                      [this](std::string_view step, const std::string& error,
                             const sdk::JobRecord& record) {
                          const auto trace = protocol::parse_traceparent(record.traceparent)
                                                 .value_or(protocol::TraceParent{});
                          this->log.write(sdk::LogLevel::warning, "submit rollback step failed",
                                          {{"step", step},
                                           {"error", error},
                                           {"job_id", record.id},
                                           {"request_id", record.request_id},
                                           {"trace_id", trace.trace_id},
                                           {"span_id", trace.span_id}});
                      }}),
      janitor(plugins.storage(), job_service),
      readiness(plugins, settings.vision_service_url,
                std::chrono::milliseconds(settings.readiness_cache_ms)),
      console(settings.console_dir) {}

}  // namespace visiongw::core
