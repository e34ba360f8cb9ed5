#include "app/console_files.h"

#include <filesystem>
#include <fstream>
#include <iterator>

#include "config/startup_error.h"

namespace visiongw::core {
namespace {

// The content type of each extension the console uses; other files are not served.
constexpr std::pair<const char*, const char*> kContentTypes[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
};

}  // namespace

ConsoleFiles::ConsoleFiles(const std::string& dir) {
    std::error_code error;
    if (dir.empty() || !std::filesystem::is_directory(dir, error))
        return;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (!entry.is_regular_file())
            continue;
        const std::string extension = entry.path().extension().string();
        for (const auto& [known, content_type] : kContentTypes) {
            if (extension != known)
                continue;
            std::ifstream in(entry.path(), std::ios::binary);
            std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
            if (!in.good() && !in.eof())
                throw StartupError(entry.path().string() + ": cannot read this console file");
            files_[entry.path().filename().string()] = {content_type, std::move(bytes)};
        }
    }
}

const ConsoleFile* ConsoleFiles::find(const std::string& name) const {
    auto it = files_.find(name);
    return it == files_.end() ? nullptr : &it->second;
}

}  // namespace visiongw::core
