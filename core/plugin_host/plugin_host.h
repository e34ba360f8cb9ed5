// Finds plugin libraries, checks their handshake before any object exists, and makes plugin
// objects whose library stays loaded for as long as any of them lives. Libraries are opened only
// from a folder, and only as files, that no one but root or this process's user can change.
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
// Not thread-safe; used during start-up. Every constructor throws StartupError with one line
// naming the folder or file and the reason: a folder or library that group or others can write
// or that another user owns, an ABI mismatch, no handshake, a duplicate name.
class PluginHost {
public:
    // Opens only the libraries of `names`, the plugin NAME being the file `visiongw-NAME.so`
    // whose handshake names it NAME: what start-up and --check-config load. No other file of
    // the folder is opened.
    static PluginHost open(const std::string& dir, const std::vector<std::string>& names);
    // Opens every `visiongw-*.so` in `dir`, for the commands that list what the folder holds.
    static PluginHost scan(const std::string& dir);

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
    explicit PluginHost(const std::string& dir);
    void add(PluginLibrary library);

    std::unique_ptr<sdk::Plugin> instantiate(const PluginLibrary& entry,
                                             const std::string& kind) const;
    [[noreturn]] static void throw_wrong_interface(const PluginLibrary& entry,
                                                   const std::string& kind);

    std::string dir_;
    std::vector<PluginLibrary> libraries_;
};

}  // namespace visiongw::core
