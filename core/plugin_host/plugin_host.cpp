#include "plugin_host/plugin_host.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "config/startup_error.h"
#include "visiongw/sdk/export.h"

namespace visiongw::core {
namespace {

constexpr std::string_view kFilePrefix = "visiongw-";
constexpr std::string_view kFileSuffix = ".so";

// Refuses the plugin folder or a library (`what` says which) when a user other than root or
// this process's own could change what it holds: writable by group or others, or owned by
// another user. Loading a library runs its code with the gateway's rights.
void check_only_owner_writes(const std::string& what, const std::string& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0)
        throw StartupError(what + " " + path + ": " + std::strerror(errno));
    const mode_t writers = info.st_mode & (S_IWGRP | S_IWOTH);
    if (writers != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
        const char* who = writers == S_IWGRP   ? "group"
                          : writers == S_IWOTH ? "others"
                                               : "group and others";
        throw StartupError(what + " " + path + " is writable by " + who + " (mode " + mode +
                           "); plugins are loaded only from a folder and files that no one but "
                           "their owner can write (chmod go-w)");
    }
    const uid_t self = ::geteuid();
    if (info.st_uid != 0 && info.st_uid != self) {
        throw StartupError(what + " " + path + " is owned by uid " + std::to_string(info.st_uid) +
                           "; plugins are loaded only from a folder and files owned by root or "
                           "by the gateway's user (uid " +
                           std::to_string(self) + ")");
    }
}

// The `visiongw-*.so` files of `dir`, sorted; opens none of them.
std::vector<std::filesystem::path> library_files(const std::string& dir) {
    std::error_code error;
    std::vector<std::filesystem::path> paths;
    for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
        const std::string file = entry.path().filename().string();
        if (file.starts_with(kFilePrefix) && file.ends_with(kFileSuffix))
            paths.push_back(entry.path());
    }
    if (error)
        throw StartupError("plugin folder " + dir + ": " + error.message());
    std::sort(paths.begin(), paths.end());
    return paths;
}

// " (it holds: a, b)", or " (it holds none)".
std::string holding(const std::vector<std::string>& names) {
    std::string list;
    for (const auto& name : names)
        list += (list.empty() ? "" : ", ") + name;
    return list.empty() ? " (it holds none)" : " (it holds: " + list + ")";
}

// A plugin name becomes a file name in the plugin folder: nothing in it may lead out of the
// folder.
bool is_plugin_name(const std::string& name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-' || c == '.';
    });
}

PluginLibrary open_library(const std::filesystem::path& path) {
    const std::string file = path.string();
    check_only_owner_writes("plugin", file);
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
    check_only_owner_writes("plugin folder", dir);
}

PluginHost PluginHost::open(const std::string& dir, const std::vector<std::string>& names) {
    PluginHost host(dir);
    for (const auto& name : names) {
        if (std::any_of(host.libraries_.begin(), host.libraries_.end(),
                        [&](const PluginLibrary& known) { return known.name == name; })) {
            continue;
        }
        if (!is_plugin_name(name)) {
            throw StartupError("plugin name '" + name +
                               "': a plugin name is letters, digits, '_', '-' and '.'");
        }
        const std::string file = std::string(kFilePrefix) + name + std::string(kFileSuffix);
        const std::filesystem::path path = std::filesystem::path(dir) / file;
        std::error_code error;
        if (!std::filesystem::exists(path, error)) {
            std::vector<std::string> there;
            for (const auto& found : library_files(dir)) {
                const std::string found_file = found.filename().string();
                there.push_back(
                    found_file.substr(kFilePrefix.size(),
                                      found_file.size() - kFilePrefix.size() - kFileSuffix.size()));
            }
            throw StartupError("no plugin named '" + name + "' in " + dir + ": no file " + file +
                               holding(there));
        }
        PluginLibrary library = open_library(path);
        if (library.name != name) {
            throw StartupError("plugin " + library.path + ": its handshake names it '" +
                               library.name + "', not '" + name +
                               "' (the plugin NAME is the file visiongw-NAME.so)");
        }
        host.add(std::move(library));
    }
    return host;
}

PluginHost PluginHost::scan(const std::string& dir) {
    PluginHost host(dir);
    for (const auto& path : library_files(dir))
        host.add(open_library(path));
    return host;
}

void PluginHost::add(PluginLibrary library) {
    for (const auto& known : libraries_) {
        if (known.name == library.name) {
            throw StartupError("plugins " + known.path + " and " + library.path +
                               " both claim the name '" + library.name + "'");
        }
    }
    libraries_.push_back(std::move(library));
}

const PluginLibrary& PluginHost::find(const std::string& name) const {
    for (const auto& library : libraries_) {
        if (library.name == name)
            return library;
    }
    std::vector<std::string> there;
    for (const auto& library : libraries_)
        there.push_back(library.name);
    throw StartupError("no plugin named '" + name + "' in " + dir_ + holding(there));
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
