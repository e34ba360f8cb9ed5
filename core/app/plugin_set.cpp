#include "app/plugin_set.h"

#include <algorithm>

#include "config/option_table.h"
#include "config/startup_error.h"

namespace visiongw::core {

template <typename Interface>
std::shared_ptr<Interface> PluginSet::make(const PluginHost& host, const IniDocument& document,
                                           const std::string& name, const char* kind,
                                           JsonLog& log) {
    const PluginLibrary& library = host.find(name);
    sdk::PluginConfig config = validate_section(document, name, library.options);
    auto plugin = host.create<Interface>(name, kind);
    logs_.push_back(std::make_unique<PluginJsonLog>(log, name));
    contexts_.push_back(std::make_unique<sdk::PluginContext>(sdk::PluginContext{*logs_.back()}));
    try {
        plugin->configure(config, *contexts_.back());
    } catch (const std::exception& e) {
        throw StartupError(document.path() + ": [" + name + "] " + e.what());
    }
    all_.emplace_back(name, plugin);
    return plugin;
}

PluginSet::PluginSet(const PluginHost& host, const IniDocument& document,
                     const GatewaySettings& settings, JsonLog& log) {
    std::set<std::string> known = foreign_sections();
    for (const auto& section : core_sections())
        known.insert(section.name);
    const std::vector<std::string> plugins = configured_plugins(settings);
    for (const auto& section : document.file_sections()) {
        if (known.count(section) ||
            std::find(plugins.begin(), plugins.end(), section) != plugins.end()) {
            continue;
        }
        std::string valid;
        for (const auto& name : known)
            valid += name + ", ";
        for (const auto& name : plugins)
            valid += name + ", ";
        throw StartupError(document.path() + ": [" + section +
                           "] unknown section; sections are the gateway's and the configured "
                           "plugins': " +
                           valid.substr(0, valid.size() - 2));
    }
    storage_ =
        make<sdk::StorageBackend>(host, document, settings.storage_plugin, sdk::kStorageKind, log);
    job_store_ =
        make<sdk::JobStore>(host, document, settings.job_store_plugin, sdk::kJobStoreKind, log);
    queue_ = make<sdk::QueueTransport>(host, document, settings.queue_plugin, sdk::kQueueKind, log);
    for (const auto& name : settings.analysis_plugins) {
        auto validator =
            make<sdk::AnalysisValidator>(host, document, name, sdk::kAnalysisKind, log);
        std::string type = validator->analysis_type();
        if (!validators_.emplace(type, validator).second) {
            throw StartupError(document.path() +
                               ": [plugins] analysis: two plugins serve the "
                               "analysis type '" +
                               type + "'");
        }
    }
}

PluginSet::~PluginSet() {
    stop();
}

void PluginSet::start(sdk::WorkerEventSink& sink) {
    queue_->set_event_sink(sink);
    for (; started_ < all_.size(); ++started_) {
        auto& [name, plugin] = all_[started_];
        try {
            plugin->start();
        } catch (const std::exception& e) {
            std::string what = e.what();
            stop();
            throw StartupError("plugin '" + name + "' failed to start: " + what);
        }
    }
}

void PluginSet::stop() noexcept {
    while (started_ > 0) {
        --started_;
        all_[started_].second->stop();
    }
}

}  // namespace visiongw::core
