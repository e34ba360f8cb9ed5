#include "app/readiness.h"

#include "app/vision_service_check.h"
#include "ops/step_clock.h"

namespace visiongw::core {

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

}  // namespace visiongw::core
