// A job message of sdk/PROTOCOL.md as the Job an analyzer sees.
#pragma once

#include <string_view>

#include "visiongw/protocol/job_message.h"
#include "visiongw/worker/analysis.h"

namespace visiongw::worker {

// The headers of a job message the worker reads; each empty when absent.
struct DeliveryHeaders {
    std::string request_id;   // x-request-id
    std::string traceparent;  // W3C trace context
    std::string tracestate;
};

// Decodes `body` (protocol::decode_job_message; throws protocol::MalformedMessage for a message
// no worker can use, which the broker should dead-letter) and continues the trace of `headers`
// with a span of this worker (protocol::continue_trace).
Job parse_job_message(std::string_view body, const DeliveryHeaders& headers);

}  // namespace visiongw::worker
