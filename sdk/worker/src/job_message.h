// Reading the job message of sdk/PROTOCOL.md.
#pragma once

#include <stdexcept>
#include <string>

#include "visiongw/worker/analysis.h"

namespace visiongw::worker {

// A message no worker can use (not JSON, unknown schema_version, a missing or malformed
// field); the broker should dead-letter it. what() names the problem.
class UnusableMessage : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Validates `body` (schema_version 1); `request_id` is the message's x-request-id header.
Job parse_job_message(const std::string& body, const std::string& request_id);

}  // namespace visiongw::worker
