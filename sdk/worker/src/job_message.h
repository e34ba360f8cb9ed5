// A job message of sdk/PROTOCOL.md as the Job an analyzer sees.
#pragma once

#include <string_view>

#include "visiongw/protocol/job_message.h"
#include "visiongw/worker/analysis.h"

namespace visiongw::worker {

// Decodes `body` (protocol::decode_job_message; throws protocol::MalformedMessage for a message
// no worker can use, which the broker should dead-letter); `request_id` is the message's
// x-request-id header.
Job parse_job_message(std::string_view body, const std::string& request_id);

}  // namespace visiongw::worker
