// Readiness of the gateway's dependencies (every plugin, and the vision service when one is
// configured), as /health/ready and the dependency gauges report it.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "app/plugin_set.h"

namespace visiongw::core {

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

}  // namespace visiongw::core
