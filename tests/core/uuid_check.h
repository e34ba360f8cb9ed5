// Ids as the core makes them, for the core's tests and the gateway's black-box tests.
#pragma once

#include <string>

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

}  // namespace visiongw::testing
