// Shared by the core tests: where the fixture plugins are, a scratch folder, the message of an
// expected StartupError, and one run of the real visiongw binary.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "config/startup_error.h"
#include "gateway_process.h"

namespace visiongw::testing {

// Whether `text` is a random (version 4) UUID in lower-case text form. (No std::regex: GCC 12
// warns inside it under the sanitizers.)
inline bool is_uuid(const std::string& text) {
    if (text.size() != 36 || text[14] != '4')
        return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        char c = text[i];
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

// The folder of one fixture case (see fixtures/CMakeLists.txt).
inline std::string fixture_dir(const std::string& case_name) {
    return std::string(VISIONGW_CORE_FIXTURE_DIR) + "/" + case_name;
}

// The library `visiongw-FILE.so` of fixture case CASE.
inline std::string fixture_library(const std::string& case_name, const std::string& file) {
    return fixture_dir(case_name) + "/visiongw-" + file + ".so";
}

// The message of the StartupError `action` throws; records a failure if it throws none.
template <typename Action>
std::string startup_error_of(Action&& action) {
    try {
        action();
    } catch (const core::StartupError& e) {
        return e.what();
    }
    ADD_FAILURE() << "no StartupError was thrown";
    return {};
}

// A fresh folder under the temp dir, removed with its content on destruction.
class ScratchDir {
public:
    ScratchDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "visiongw-core-test-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr)
            throw std::runtime_error("cannot make a scratch folder");
        path_ = pattern;
    }
    ~ScratchDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;

    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

    // Writes `text` to the file `name` and returns its path.
    std::string write(const std::string& name, const std::string& text) const {
        std::ofstream(file(name)) << text;
        return file(name);
    }
    std::string read(const std::string& name) const {
        std::ifstream in(file(name));
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }

private:
    std::string path_;
};

// What one run of the visiongw binary did.
struct GatewayRun {
    int status = -1;
    std::string out;
    std::string err;
};

// Runs `visiongw ARGUMENTS` (shell syntax) with `environment` ("VAR=value ...") added, for at
// most 20 s (a gateway that starts serving when it should not ends with status 124).
inline GatewayRun run_gateway(const ScratchDir& scratch, const std::string& arguments,
                              const std::string& environment = "") {
    GatewayRun run;
    run.status =
        run_command("env " + environment + " timeout 20 " + gateway_binary() + " " + arguments +
                    " >" + scratch.file("stdout") + " 2>" + scratch.file("stderr"));
    run.out = scratch.read("stdout");
    run.err = scratch.read("stderr");
    return run;
}

}  // namespace visiongw::testing
