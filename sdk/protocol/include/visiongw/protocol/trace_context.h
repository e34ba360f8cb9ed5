// W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` and `tracestate`
// headers read from a caller and written to whatever this process calls next (HTTP requests,
// job messages, worker events, webhooks). Ids come from OpenSSL's RAND_bytes.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace visiongw::protocol {

// One span of a trace as a `traceparent` names it.
struct TraceParent {
    std::string trace_id;  // 32 lowercase hex digits, not all zero
    std::string span_id;   // 16 lowercase hex digits, not all zero (the header's parent-id)
    std::string flags;     // 2 lowercase hex digits; bit 0 is "sampled"

    // "00-<trace_id>-<span_id>-<flags>": version 00, whatever version it was read from.
    std::string header() const;

    bool operator==(const TraceParent&) const = default;
};

// Reads one `traceparent` value: optional spaces and tabs around it; version two lowercase hex
// digits other than ff; for version 00 exactly the four fields; for a later version the four
// fields, then nothing or a '-' and whatever that version adds. Ids and flags are lowercase
// hex of their exact length, ids not all zero. nullopt when the value breaks any of these.
std::optional<TraceParent> parse_traceparent(std::string_view value);

// Joins the `tracestate` values of a request (several headers form one list, in order) when
// every member is valid: at most 32 members, keys unique, each key `lcalpha 0*255(lcalpha /
// DIGIT / _ - * /)` or `tenant@system` (tenant 1–241 of lcalpha / DIGIT first, system 1–14
// starting lcalpha), each value 1–256 printable ASCII characters other than ',' and '=',
// not ending with a space. Empty members and spaces or tabs around members are dropped. The
// result is the members joined by ',', possibly empty; nullopt when any member is invalid (the
// spec's "discard the whole tracestate").
std::optional<std::string> parse_tracestate(std::span<const std::string> values);

// A new random trace id / span id of the W3C form. Throws std::runtime_error if RAND_bytes has
// no random bytes.
std::string random_trace_id();
std::string random_span_id();

// This process's span of a trace: `span` carries the trace id and this process's own new span
// id; `parent_span_id` is the caller's span (empty when this process started the trace).
struct TraceContext {
    TraceParent span;
    std::string parent_span_id;
    std::string tracestate;  // the caller's, valid; empty when none or discarded

    std::string traceparent() const { return span.header(); }
};

// Continues the caller's trace with a new span of this process when exactly one valid
// `traceparent` came (its flags kept, its `tracestate` kept when valid). Otherwise — none,
// several, or an invalid one — starts a new trace (flags 01: this process records it, in its log
// lines) and drops any `tracestate`: nothing of an invalid header is kept.
TraceContext continue_trace(std::span<const std::string> traceparent_values,
                            std::span<const std::string> tracestate_values);

// continue_trace for a carrier with at most one value of each (an AMQP message's headers);
// an empty string means the header is absent.
TraceContext continue_trace(const std::string& traceparent, const std::string& tracestate);

}  // namespace visiongw::protocol
