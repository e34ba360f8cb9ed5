#include "app/gateway.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>

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

double milliseconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
}

// GET <url>/health with a short timeout; the vision service is ready when it answers 2xx.
Readiness::Check check_vision_service(const std::string& url) {
    auto start = std::chrono::steady_clock::now();
    try {
        Poco::URI uri(url);
        Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
        session.setTimeout(Poco::Timespan(2, 0));
        std::string path = uri.getPath();
        if (path.empty() || path.back() != '/')
            path += '/';
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path + "health",
                                       Poco::Net::HTTPMessage::HTTP_1_1);
        session.sendRequest(request);
        Poco::Net::HTTPResponse response;
        session.receiveResponse(response).ignore(1 << 20);
        bool ok = response.getStatus() < 300;
        return {"vision_service", ok, milliseconds_since(start),
                "GET " + path + "health answered " + std::to_string(response.getStatus())};
    } catch (const std::exception& e) {
        return {"vision_service", false, milliseconds_since(start), e.what()};
    }
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
      jobs(registry.counter_family("visiongw_jobs_total",
                                   "job state changes made by this gateway, by new status")),
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
      submit_steps(submit_step_cells(registry)) {}

void GatewayMetrics::observe_submit_steps(const StepTimes& steps) const {
    for (const auto& [step, ms] : steps) {
        for (const auto& [name, cell] : submit_steps) {
            if (name == step)
                cell.observe(ms / 1000);
        }
    }
}

Readiness::Readiness(const PluginSet& plugins, std::string vision_service_url,
                     std::chrono::milliseconds cache)
    : plugins_(plugins), vision_service_url_(std::move(vision_service_url)), cache_(cache) {}

std::pair<bool, std::vector<Readiness::Check>> Readiness::evaluate() {
    std::lock_guard<std::mutex> guard(mutex_);
    auto now = std::chrono::steady_clock::now();
    if (last_.empty() || now - checked_at_ >= cache_) {
        std::vector<Check> checks;
        for (const auto& [name, plugin] : plugins_.all()) {
            auto start = std::chrono::steady_clock::now();
            sdk::Health health;
            try {
                health = plugin->health();
            } catch (const std::exception& e) {
                health = {false, e.what()};
            }
            // The storage check carries the role's name, whichever backend serves it.
            checks.push_back({plugin.get() == &plugins_.storage() ? "file_storage" : name,
                              health.ok, milliseconds_since(start), health.detail});
        }
        if (!vision_service_url_.empty())
            checks.push_back(check_vision_service(vision_service_url_));
        last_ = std::move(checks);
        checked_at_ = std::chrono::steady_clock::now();
    }
    bool ready = true;
    for (const auto& check : last_)
        ready = ready && check.ok;
    return {ready, last_};
}

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
      jobs(JobPlugins{plugins.storage(), plugins.queue(), plugins.jobs(), plugins.validators()},
           std::chrono::milliseconds(settings.publish_timeout_ms), settings.auth_enabled,
           JobObserver{
               [this](const std::string&, sdk::JobStatus status) {
                   metrics.jobs.with({{"status", std::string(sdk::to_string(status))}}).increment();
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
               }}),
      janitor(plugins.storage(), jobs),
      readiness(plugins, settings.vision_service_url,
                std::chrono::milliseconds(settings.readiness_cache_ms)) {}

}  // namespace visiongw::core
