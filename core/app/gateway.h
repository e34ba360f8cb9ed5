// What request handlers reach: settings, log, metrics, plugins and the job service — the one
// small interface handlers use instead of globals. Built once at start-up; thread-safe.
#pragma once

#include <atomic>
#include <memory>
#include <optional>

#include "app/console_files.h"
#include "app/gateway_metrics.h"
#include "app/plugin_set.h"
#include "app/readiness.h"
#include "config/gateway_settings.h"
#include "jobs/janitor.h"
#include "jobs/job_service.h"
#include "jobs/upload.h"
#include "ops/api_keys.h"
#include "ops/json_log.h"
#include "ops/metrics.h"
#include "ops/rate_limiter.h"
#include "webhooks/callback_policy.h"
#include "webhooks/webhook_dispatcher.h"

namespace visiongw::core {

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
    CallbackPolicy callbacks;
    JobService job_service;
    Janitor janitor;
    Readiness readiness;
    ConsoleFiles console;
    // Set when [webhooks] are on; serve_gateway starts and stops it.
    std::unique_ptr<WebhookDispatcher> webhooks;
    std::atomic<int> event_streams{0};
    std::atomic<bool> stopping{false};
};

}  // namespace visiongw::core
