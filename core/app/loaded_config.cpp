#include "app/loaded_config.h"

#include <filesystem>

namespace visiongw::core {
namespace {

std::string executable_dir() {
    std::error_code error;
    auto path = std::filesystem::read_symlink("/proc/self/exe", error);
    return error ? std::string(".") : path.parent_path().string();
}

}  // namespace

LoadedConfig load_config(const std::string& path) {
    IniDocument document = IniDocument::load(path, IniDocument::process_environment());
    GatewaySettings settings = read_gateway_settings(document, executable_dir());
    return {std::move(document), std::move(settings)};
}

}  // namespace visiongw::core
