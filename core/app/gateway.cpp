#include "app/gateway.h"

#include "config/startup_error.h"

namespace visiongw::core {
namespace {

// The webhook dispatcher of a gateway whose [webhooks] are on; throws StartupError when its
// job store has no webhook outbox.
std::unique_ptr<WebhookDispatcher> make_dispatcher(Gateway& gateway) {
    const GatewaySettings& s = gateway.settings;
    if (!gateway.callbacks.enabled())
        return nullptr;
    auto* outbox = dynamic_cast<sdk::WebhookOutbox*>(&gateway.plugins.job_store());
    if (outbox == nullptr) {
        throw StartupError("[webhooks] allowed_hosts is set, but job store plugin '" +
                           s.job_store_plugin + "' keeps no webhooks (no sdk::WebhookOutbox)");
    }
    using std::chrono::milliseconds;
    using std::chrono::seconds;
    WebhookDispatchSettings dispatch{
        RetrySchedule{milliseconds(s.webhook_first_retry_ms), seconds(s.webhook_max_retry_seconds),
                      seconds(s.webhook_give_up_after_seconds)},
        seconds(s.webhook_timeout_seconds), milliseconds(s.webhook_poll_interval_ms)};
    WebhookObserver observer{
        [&gateway](const sdk::JobRecord& job, const sdk::WebhookAttempt& attempt,
                   const std::string& span_id, bool recorded) {
            const char* outcome = attempt.delivered     ? "delivered"
                                  : attempt.retry_after ? "retry"
                                                        : "failed";
            gateway.metrics.webhook_deliveries.with({{"outcome", outcome}}).increment();
            const auto trace =
                protocol::parse_traceparent(job.traceparent).value_or(protocol::TraceParent{});
            const std::int64_t retry_ms = attempt.retry_after ? attempt.retry_after->count() : 0;
            gateway.log.write(attempt.delivered ? sdk::LogLevel::info : sdk::LogLevel::warning,
                              attempt.delivered     ? "webhook delivered"
                              : attempt.retry_after ? "webhook delivery failed, will retry"
                                                    : "webhook delivery failed, given up",
                              {{"job_id", job.id},
                               {"request_id", job.request_id},
                               {"trace_id", trace.trace_id},
                               {"span_id", span_id},
                               {"attempt", attempt.attempt},
                               {"error", attempt.error},
                               {"retry_in_ms", retry_ms},
                               {"recorded", recorded}});
        },
        [&gateway](const std::string& error) {
            gateway.log.write(sdk::LogLevel::warning, "webhook outbox unavailable",
                              {{"error", error}});
        }};
    return std::make_unique<WebhookDispatcher>(
        *outbox, gateway.callbacks,
        load_webhook_secrets(s.webhook_secret, s.webhook_tenant_secrets_file), dispatch,
        std::move(observer));
}

}  // namespace

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
      callbacks(settings.webhook_allowed_hosts, settings.webhook_allow_private_addresses),
      job_service(
          JobPlugins{plugins.storage(), plugins.queue(), plugins.job_store(), plugins.validators()},
          std::chrono::milliseconds(settings.publish_timeout_ms), settings.auth_enabled,
          std::chrono::seconds(settings.idempotency_key_ttl_seconds), callbacks,
          JobObserver{[this](const std::string&, sdk::JobStatus status) {
                          metrics.job_status_changes
                              .with({{"status", std::string(sdk::to_string(status))}})
                              .increment();
                          if (sdk::is_final(status) && webhooks)
                              webhooks->wake();
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
      console(settings.console_dir),
      webhooks(make_dispatcher(*this)) {}

}  // namespace visiongw::core
