// What running a job needs from the broker, apart from the broker itself: implemented over
// AMQP by BrokerSession.
#pragma once

#include <chrono>
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
    // Publishes a worker event unconfirmed at `due`, unless the job publishes another event
    // first; a later call for the same job replaces it. Dropped when the job is cancelled, the
    // worker stops or the broker connection is lost before then. Never blocks.
    virtual void publish_event_at(const Job& job, const std::string& event_json,
                                  std::chrono::steady_clock::time_point due) = 0;
    // Returns once every cancellation published before the call has reached the CancelBoard
    // (the marker round trip of PROTOCOL.md). Throws BrokerLost.
    virtual void catch_up_cancellations() = 0;
};

}  // namespace visiongw::worker
