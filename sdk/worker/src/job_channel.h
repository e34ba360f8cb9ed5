// What running a job needs from the broker, apart from the broker itself: implemented over
// AMQP by BrokerSession, and by fakes in the unit tests.
#pragma once

#include <stdexcept>
#include <string>

#include "visiongw/worker/analysis.h"

namespace visiongw::worker {

// The broker connection was lost (or did not answer in time) while serving a job; the job's
// delivery is void and the broker will give the message out again.
class BrokerLost : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// How a job message is answered: basic.ack, basic.reject without requeue (dead letter), or
// given back unanswered (basic.nack with requeue) for another attempt, maybe elsewhere.
enum class Settlement { ack, dead_letter, release };

// Thread-safe: jobs running at once call it concurrently.
class JobChannel {
public:
    virtual ~JobChannel() = default;
    // Publishes a worker event with the job's x-request-id; when `confirmed`, returns only
    // once the broker confirmed and routed it. Throws BrokerLost.
    virtual void publish_event(const Job& job, const std::string& event_json, bool confirmed) = 0;
    // Returns once every cancellation published before the call has reached the CancelBoard
    // (the marker round trip of PROTOCOL.md). Throws BrokerLost.
    virtual void catch_up_cancellations() = 0;
};

}  // namespace visiongw::worker
