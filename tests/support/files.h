// Files of a test: a scratch folder, whole-file reads and content hashes.
#pragma once

#include <string>

namespace visiongw::testing {

// A fresh folder under the system's temporary folder, removed with its content on destruction.
class ScratchDir {
public:
    ScratchDir();
    ~ScratchDir();
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;

    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

    // Writes `text` to the file `name` and returns its path.
    std::string write(const std::string& name, const std::string& text) const;
    // The content of the file `name`; empty when there is none.
    std::string read(const std::string& name) const;

private:
    std::string path_;
};

// The bytes of the file at `path`; throws std::runtime_error when it cannot be opened.
std::string read_whole_file(const std::string& path);
// The SHA-256 of `bytes` in lower-case hex.
std::string sha256_hex(const std::string& bytes);

}  // namespace visiongw::testing
