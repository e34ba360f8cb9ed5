// Fuzzes the W3C trace context headers a client sends (`traceparent`, then `tracestate` values
// split at newlines): whatever comes, the trace the gateway goes on with is well formed, keeps
// the caller's trace only from a valid traceparent, and passes on only a tracestate that reads
// back as itself.
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "visiongw/protocol/trace_context.h"

namespace {

using visiongw::fuzz::require;
namespace protocol = visiongw::protocol;

bool is_lower_hex(std::string_view text, std::size_t size) {
    if (text.size() != size || text.find_first_not_of("0123456789abcdef") != std::string::npos)
        return false;
    return text.find_first_not_of('0') != std::string::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    visiongw::fuzz::FuzzInput input(data, size);
    const std::string traceparent(input.take_until('\n'));
    std::vector<std::string> tracestate;
    while (!input.rest().empty())
        tracestate.emplace_back(input.take_until('\n'));

    const auto parsed = protocol::parse_traceparent(traceparent);
    if (parsed) {
        require(is_lower_hex(parsed->trace_id, 32) && is_lower_hex(parsed->span_id, 16),
                "a parsed traceparent has a malformed id");
        require(protocol::parse_traceparent(parsed->header()) == parsed,
                "a parsed traceparent does not read back as itself");
    }
    const auto state = protocol::parse_tracestate(tracestate);
    if (state) {
        const std::vector<std::string> again{*state};
        require(protocol::parse_tracestate(again) == state,
                "a kept tracestate does not read back as itself");
    }

    const std::vector<std::string> parents{traceparent};
    const protocol::TraceContext trace = protocol::continue_trace(parents, tracestate);
    require(protocol::parse_traceparent(trace.traceparent()).has_value(),
            "the trace goes on with a malformed traceparent");
    require(trace.span.span_id != trace.parent_span_id, "the span is the caller's");
    if (parsed) {
        require(trace.span.trace_id == parsed->trace_id && trace.parent_span_id == parsed->span_id,
                "a valid traceparent's trace was not continued");
        require(trace.tracestate == state.value_or(""), "the tracestate kept is not the valid one");
    } else {
        require(trace.parent_span_id.empty() && trace.tracestate.empty(),
                "something of an invalid traceparent was kept");
    }
    return 0;
}
