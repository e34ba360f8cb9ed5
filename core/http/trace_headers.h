// The W3C trace context of an HTTP request, read from its `traceparent` and `tracestate`
// headers (any case, every occurrence).
#pragma once

#include <Poco/Net/MessageHeader.h>

#include "visiongw/protocol/trace_context.h"

namespace visiongw::core {

// This gateway's span of the request's trace: the caller's trace continued when it sent exactly
// one valid traceparent, else a new trace (protocol::continue_trace).
protocol::TraceContext trace_of(const Poco::Net::MessageHeader& headers);

}  // namespace visiongw::core
