#include "app/metrics_collectors.h"

#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

namespace visiongw::core {

void add_metrics_collectors(MetricsRegistry& registry, Gateway& gateway) {
    registry.add_collector([&gateway] {
        std::vector<Sample> samples;
        for (const auto& [name, plugin] : gateway.plugins.all()) {
            for (auto& metric : plugin->metrics()) {
                samples.push_back(
                    {metric.name, metric.help, metric.type, {{"plugin", name}}, metric.value});
            }
        }
        for (const auto& check : gateway.readiness.evaluate().second) {
            samples.push_back({"visiongw_dependency_up",
                               "1 when the dependency answered its last readiness check",
                               "gauge",
                               {{"dependency", check.name}},
                               check.ok ? 1.0 : 0.0});
        }
        return samples;
    });
    struct StorageCache {
        std::mutex mutex;
        std::chrono::steady_clock::time_point at{};
        sdk::StorageStats stats;
    };
    auto cache = std::make_shared<StorageCache>();
    registry.add_collector([&gateway, cache] {
        std::lock_guard<std::mutex> guard(cache->mutex);
        auto now = std::chrono::steady_clock::now();
        if (cache->at == std::chrono::steady_clock::time_point{} ||
            now - cache->at > std::chrono::seconds(10)) {
            cache->stats = gateway.plugins.storage().stats(std::chrono::system_clock::now());
            cache->at = now;
        }
        const auto& s = cache->stats;
        std::vector<Sample> samples{
            {"visiongw_storage_files", "stored images", "gauge", {}, double(s.files)},
            {"visiongw_storage_bytes", "bytes of stored images", "gauge", {}, double(s.bytes)},
            {"visiongw_storage_expired_files",
             "stored images past their TTL",
             "gauge",
             {},
             double(s.expired_files)}};
        if (s.free_bytes) {
            samples.push_back({"visiongw_storage_free_bytes",
                               "free space of the store",
                               "gauge",
                               {},
                               double(*s.free_bytes)});
        }
        return samples;
    });
}

}  // namespace visiongw::core
