#include "plugin_host/plugin_host.h"

#include <algorithm>
#include <filesystem>

#include "config/startup_error.h"
#include "visiongw/sdk/export.h"

namespace visiongw::core {
namespace {

PluginLibrary open_library(const std::filesystem::path& path) {
    const std::string file = path.string();
    auto library = std::make_shared<boost::dll::shared_library>();
    boost::dll::fs::error_code error;
    library->load(path, boost::dll::load_mode::rtld_lazy | boost::dll::load_mode::rtld_local,
                  error);
    if (error)
        throw StartupError("plugin " + file + ": cannot be loaded: " + error.message());
    if (!library->has(VISIONGW_HANDSHAKE_SYMBOL)) {
        throw StartupError("plugin " + file +
                           ": exports no " VISIONGW_HANDSHAKE_SYMBOL
                           "(); not a Vision Gateway plugin");
    }
    auto handshake = library->get<const visiongw_plugin_info*()>(VISIONGW_HANDSHAKE_SYMBOL);
    const visiongw_plugin_info* info = handshake();
    if (info == nullptr)
        throw StartupError("plugin " + file + ": handshake returned nothing");
    if (info->abi_version != VISIONGW_SDK_ABI_VERSION) {
        throw StartupError("plugin " + file + ": built for SDK ABI version " +
                           std::to_string(info->abi_version) + ", this gateway has version " +
                           std::to_string(VISIONGW_SDK_ABI_VERSION));
    }
    if (std::string(info->build_signature) != VISIONGW_BUILD_SIGNATURE) {
        throw StartupError("plugin " + file + ": built with " + info->build_signature +
                           ", this gateway with " VISIONGW_BUILD_SIGNATURE);
    }
    if (!library->has(VISIONGW_FACTORY_SYMBOL)) {
        throw StartupError("plugin " + file + ": exports no " VISIONGW_FACTORY_SYMBOL " factory");
    }
    return PluginLibrary{file,
                         info->name,
                         info->kind,
                         info->version,
                         OptionTable(info->options, info->option_count),
                         std::move(library)};
}

}  // namespace

PluginHost::PluginHost(const std::string& dir) : dir_(dir) {
    std::error_code error;
    std::vector<std::filesystem::path> paths;
    for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
        const std::string file = entry.path().filename().string();
        if (file.starts_with("visiongw-") && file.ends_with(".so"))
            paths.push_back(entry.path());
    }
    if (error)
        throw StartupError("plugin folder " + dir + ": " + error.message());
    std::sort(paths.begin(), paths.end());
    for (const auto& path : paths) {
        PluginLibrary library = open_library(path);
        for (const auto& known : libraries_) {
            if (known.name == library.name) {
                throw StartupError("plugins " + known.path + " and " + library.path +
                                   " both claim the name '" + library.name + "'");
            }
        }
        libraries_.push_back(std::move(library));
    }
}

const PluginLibrary& PluginHost::find(const std::string& name) const {
    for (const auto& library : libraries_) {
        if (library.name == name)
            return library;
    }
    std::string found;
    for (const auto& library : libraries_)
        found += (found.empty() ? "" : ", ") + library.name;
    throw StartupError("no plugin named '" + name + "' in " + dir_ +
                       (found.empty() ? " (it holds none)" : " (it holds: " + found + ")"));
}

std::unique_ptr<sdk::Plugin> PluginHost::instantiate(const PluginLibrary& entry,
                                                     const std::string& kind) const {
    if (entry.kind != kind) {
        throw StartupError("plugin '" + entry.name + "' (" + entry.path + ") is of kind '" +
                           entry.kind + "', not '" + kind + "'");
    }
    auto factory = entry.library->get_alias<sdk::PluginFactory>(VISIONGW_FACTORY_SYMBOL);
    std::unique_ptr<sdk::Plugin> object;
    try {
        object = factory();
    } catch (const std::exception& e) {
        throw StartupError("plugin '" + entry.name + "' (" + entry.path +
                           "): factory failed: " + e.what());
    } catch (...) {
        throw StartupError("plugin '" + entry.name + "' (" + entry.path +
                           "): factory failed with an unknown exception");
    }
    if (!object) {
        throw StartupError("plugin '" + entry.name + "' (" + entry.path +
                           "): factory made nothing");
    }
    return object;
}

void PluginHost::throw_wrong_interface(const PluginLibrary& entry, const std::string& kind) {
    throw StartupError("plugin '" + entry.name + "' (" + entry.path + ") does not implement the " +
                       kind + " interface of this SDK");
}

}  // namespace visiongw::core
