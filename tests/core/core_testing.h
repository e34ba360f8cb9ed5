// Shared by the core tests: where the fixture plugins are and the message of an expected
// StartupError.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "config/startup_error.h"
#include "gateway_process.h"

namespace visiongw::testing {

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

}  // namespace visiongw::testing
