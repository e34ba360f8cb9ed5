// Queue transport: carries job messages to workers, worker events back, and cancellations.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "visiongw/sdk/plugin.h"

namespace visiongw::sdk {

inline constexpr const char* kQueueKind = "queue";

// A job for the workers. `body` is the job message of sdk/PROTOCOL.md, as
// visiongw/protocol/job_message.h encodes it.
struct JobMessage {
    std::string job_id;  // becomes the message id
    std::string request_id;
    std::string body;
    // The submit's W3C trace context, sent as the message's `traceparent` and (when not empty)
    // `tracestate` headers so the worker continues the trace.
    std::string traceparent;
    std::string tracestate;
};

// Receives worker events (JSON objects of the wire protocol, see sdk/PROTOCOL.md) from the
// transport's consumer thread. Returns normally when the event was folded into the job store
// or deliberately dropped (late, duplicate, unknown job); the transport then acknowledges it.
// Throws Unavailable when it could not be applied now; the transport redelivers it later.
class BOOST_SYMBOL_VISIBLE WorkerEventSink {
public:
    virtual ~WorkerEventSink() = default;
    virtual void on_worker_event(std::string_view json) = 0;
};

class BOOST_SYMBOL_VISIBLE QueueTransport : public Plugin {
public:
    // Called once before start(); the sink outlives stop().
    virtual void set_event_sink(WorkerEventSink& sink) = 0;
    // Publishes persistently and returns once the broker confirmed it and routed it to a
    // queue. Throws Unavailable — fast when the broker is known to be away, else at `deadline`;
    // the caller then rolls the job back, so a message that may still reach the queue must be
    // cancelled for the workers (as broadcast_cancel does) once the transport learns it might.
    virtual void publish(const JobMessage& message, std::chrono::milliseconds deadline) = 0;
    // Tells every worker that the job is cancelled, including workers that start later.
    // Throws Unavailable when the broker did not confirm it now; the transport then keeps it
    // and sends it once the broker is back (while the transport runs).
    virtual void broadcast_cancel(std::string_view job_id, std::string_view request_id) = 0;
};

}  // namespace visiongw::sdk
