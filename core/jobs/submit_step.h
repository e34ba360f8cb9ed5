// The named steps of a submit, timed on a StepClock as the submit goes through them.
#pragma once

#include <string_view>

#include "ops/step_clock.h"

namespace visiongw::core {

// The steps of a submit, in order, as the access log names them; an accepted submit's steps
// are also observed in visiongw_submit_step_duration_seconds{step="upload"|...}.
struct SubmitStep {
    static constexpr std::string_view upload = "upload_ms";    // body read, hashed, written
    static constexpr std::string_view commit = "commit_ms";    // image stored (with its lock)
    static constexpr std::string_view record = "record_ms";    // job record written
    static constexpr std::string_view publish = "publish_ms";  // message confirmed (or given up)
};

}  // namespace visiongw::core
