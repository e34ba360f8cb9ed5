// The metrics the gateway reads from elsewhere at each scrape: the plugins' own numbers, the
// dependencies' readiness, and storage usage.
#pragma once

#include "app/gateway.h"
#include "ops/metrics.h"

namespace visiongw::core {

// Every plugin's numbers, their health as a gauge, and storage usage (computed at most every
// 10 s: it walks the store). `gateway` must outlive `registry`'s scrapes.
void add_metrics_collectors(MetricsRegistry& registry, Gateway& gateway);

}  // namespace visiongw::core
