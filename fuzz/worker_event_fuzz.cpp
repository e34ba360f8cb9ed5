// Fuzzes the decoding of what the gateway and the workers read from the broker besides job
// messages: worker events, cancel-stream entries and dead letters (the first input byte picks
// which). Any body is either refused with protocol::MalformedMessage (and nothing else) or
// decoded into a value whose encoding decodes to itself.
#include <string>

#include "fuzz_support.h"
#include "visiongw/protocol/cancel_stream.h"
#include "visiongw/protocol/dead_letter.h"
#include "visiongw/protocol/worker_event.h"

namespace {

namespace protocol = visiongw::protocol;
using visiongw::fuzz::FuzzInput;
using visiongw::fuzz::require;

void worker_event(std::string_view body) {
    protocol::WorkerEvent event;
    try {
        event = protocol::decode_worker_event(body);
    } catch (const protocol::MalformedMessage&) {
        return;
    }
    require(!event.job_id.empty(), "an event without a job id passed");
    require(event.progress >= 0 && event.progress <= 100, "a progress outside 0-100 passed");
    const std::string encoded = protocol::encode_worker_event(event);
    try {
        require(protocol::decode_worker_event(encoded) == event,
                "decode(encode(event)) differs from the event");
    } catch (const protocol::MalformedMessage&) {
        require(false, "a decoded event, encoded again, is refused");
    }
}

void cancel_stream_entry(std::string_view body) {
    protocol::CancelStreamEntry entry;
    try {
        entry = protocol::decode_cancel_stream_entry(body);
    } catch (const protocol::MalformedMessage&) {
        return;
    }
    require(entry.job_id.empty() != entry.marker_id.empty(),
            "an entry is neither or both a cancellation and a marker");
    const std::string encoded = entry.job_id.empty() ? protocol::encode_marker(entry.marker_id)
                                                     : protocol::encode_cancellation(entry.job_id);
    try {
        require(protocol::decode_cancel_stream_entry(encoded) == entry,
                "decode(encode(entry)) differs from the entry");
    } catch (const protocol::MalformedMessage&) {
        require(false, "a decoded entry, encoded again, is refused");
    }
}

void dead_letter(FuzzInput& input) {
    const std::string_view message_id = input.take_until('\n');
    const bool has_reason = input.choice() % 2 == 1;
    const std::string_view reason = input.take_until('\n');
    const auto event = protocol::dead_letter_event(
        message_id, input.rest(), has_reason ? std::optional(reason) : std::nullopt);
    if (event) {
        require(!event->job_id.empty(), "a dead letter's event has no job id");
        require(event->type == protocol::WorkerEventType::failed, "a dead letter did not fail");
    } else {
        require(message_id.empty(), "a dead letter with a message id found no job");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzInput input(data, size);
    switch (input.choice() % 3) {
        case 0:
            worker_event(input.rest());
            break;
        case 1:
            cancel_stream_entry(input.rest());
            break;
        default:
            dead_letter(input);
    }
    return 0;
}
