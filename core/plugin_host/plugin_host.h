// Finds plugin libraries, checks their handshake before any object exists, and makes plugin
// objects whose library stays loaded for as long as any of them lives.
#pragma once

#include <boost/dll/shared_library.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/option_table.h"
#include "visiongw/sdk/plugin.h"

namespace visiongw::core {

// One library whose handshake was accepted.
struct PluginLibrary {
    std::string path;
    std::string name;
    std::string kind;
    std::string version;
    OptionTable options;
    std::shared_ptr<boost::dll::shared_library> library;
};

// The registry of a plugin folder: one entry per plugin name (a duplicate name is fatal).
// Not thread-safe; used during start-up.
class PluginHost {
public:
    // Loads every `visiongw-*.so` in `dir` and checks its handshake. Throws StartupError with
    // one line naming the file and the reason (ABI mismatch, no handshake, duplicate name).
    explicit PluginHost(const std::string& dir);

    const std::vector<PluginLibrary>& libraries() const { return libraries_; }
    // Throws StartupError listing the plugins that are there.
    const PluginLibrary& find(const std::string& name) const;

    // Creates the plugin object of `name`, which must be of `kind` and implement Interface.
    // The returned pointer keeps the library loaded until the object is destroyed.
    template <typename Interface>
    std::shared_ptr<Interface> create(const std::string& name, const std::string& kind) const {
        const PluginLibrary& entry = find(name);
        std::unique_ptr<sdk::Plugin> object = instantiate(entry, kind);
        auto* typed = dynamic_cast<Interface*>(object.get());
        if (typed == nullptr)
            throw_wrong_interface(entry, kind);
        object.release();
        auto library = entry.library;
        return std::shared_ptr<Interface>(typed, [library](Interface* p) { delete p; });
    }

private:
    std::unique_ptr<sdk::Plugin> instantiate(const PluginLibrary& entry,
                                             const std::string& kind) const;
    [[noreturn]] static void throw_wrong_interface(const PluginLibrary& entry,
                                                   const std::string& kind);

    std::string dir_;
    std::vector<PluginLibrary> libraries_;
};

}  // namespace visiongw::core
