// The web console's static files, served by the gateway itself at / and /console/{file}.
#pragma once

#include <map>
#include <string>

namespace visiongw::core {

// One file of the console as it is answered.
struct ConsoleFile {
    std::string content_type;
    std::string bytes;
};

// Every file of the console folder whose extension has a known content type, read once at
// start-up and kept in memory (a few tens of KiB): a request can only name a file of this map,
// never a path. Immutable after construction; thread-safe.
class ConsoleFiles {
public:
    // Reads the regular files directly in `dir`; an empty `dir` (console off) or a folder that
    // does not exist gives none. Throws StartupError for a file that cannot be read.
    explicit ConsoleFiles(const std::string& dir);

    // The file named `name` (e.g. "console.js"), or null.
    const ConsoleFile* find(const std::string& name) const;
    bool empty() const { return files_.empty(); }

private:
    std::map<std::string, ConsoleFile> files_;
};

}  // namespace visiongw::core
