// The plugins the ini names, made and configured through the plugin host, with the explicit
// lifecycle start → stop applied to all of them in order.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/gateway_settings.h"
#include "ops/json_log.h"
#include "plugin_host/plugin_host.h"
#include "visiongw/sdk/analysis.h"
#include "visiongw/sdk/job_store.h"
#include "visiongw/sdk/queue.h"
#include "visiongw/sdk/storage.h"

namespace visiongw::core {

// Owns every plugin object (and through them their libraries). Not thread-safe for
// start/stop; the plugin objects themselves are used from many threads.
class PluginSet {
public:
    // Creates and configures every plugin the settings name; checks that every section of the
    // file belongs to the gateway, the worker or a configured plugin. Throws StartupError.
    PluginSet(const PluginHost& host, const IniDocument& document, const GatewaySettings& settings,
              JsonLog& log);
    ~PluginSet();

    // Starts storage, job store, queue (after its event sink is set), then validators; if one
    // fails, stops those already started and throws StartupError.
    void start(sdk::WorkerEventSink& sink);
    // Stops in reverse order; safe to call twice.
    void stop() noexcept;

    sdk::StorageBackend& storage() const { return *storage_; }
    sdk::QueueTransport& queue() const { return *queue_; }
    sdk::JobStore& job_store() const { return *job_store_; }
    const std::map<std::string, std::shared_ptr<sdk::AnalysisValidator>>& validators() const {
        return validators_;
    }
    // Every plugin by name, in start order (for health and metrics).
    const std::vector<std::pair<std::string, std::shared_ptr<sdk::Plugin>>>& all() const {
        return all_;
    }

private:
    template <typename Interface>
    std::shared_ptr<Interface> make(const PluginHost& host, const IniDocument& document,
                                    const std::string& name, const char* kind, JsonLog& log);

    std::vector<std::unique_ptr<PluginJsonLog>> logs_;
    std::vector<std::unique_ptr<sdk::PluginContext>> contexts_;
    std::shared_ptr<sdk::StorageBackend> storage_;
    std::shared_ptr<sdk::JobStore> job_store_;
    std::shared_ptr<sdk::QueueTransport> queue_;
    std::map<std::string, std::shared_ptr<sdk::AnalysisValidator>> validators_;
    std::vector<std::pair<std::string, std::shared_ptr<sdk::Plugin>>> all_;
    std::size_t started_ = 0;
};

}  // namespace visiongw::core
