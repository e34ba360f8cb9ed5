// Shared by the core tests: where the fixture plugins are, the message of an expected
// StartupError, UUIDs, and one run of the real visiongw binary.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "config/startup_error.h"
#include "gateway_process.h"
#include "jobs/job_id.h"

namespace visiongw::testing {

// Whether `text` is a random (version 4) UUID in lower-case text form: a job id by the core's
// own check_job_id, with the version digit 4.
inline bool is_uuid(const std::string& text) {
    try {
        core::check_job_id(text);
    } catch (const std::exception&) {
        return false;
    }
    return text[14] == '4';
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
