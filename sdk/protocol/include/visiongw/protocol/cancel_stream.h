// What travels on the cancel exchange and stream (sdk/PROTOCOL.md "Cancellations"): a job's
// cancellation, or a worker's marker that tells it it has read everything before it.
#pragma once

#include <string>
#include <string_view>

#include "visiongw/protocol/schema.h"

namespace visiongw::protocol {

// {"schema_version":1,"job_id":…}: every worker must skip or stop the job.
std::string encode_cancellation(std::string_view job_id);

// {"marker":…,"schema_version":1}: published by a worker to itself; carries no job_id.
std::string encode_marker(std::string_view marker_id);

// One entry of the cancel stream: exactly one of the two is set.
struct CancelStreamEntry {
    std::string job_id;     // a cancellation
    std::string marker_id;  // a marker

    bool operator==(const CancelStreamEntry&) const = default;
};

// Reads a cancel-stream entry. Throws MalformedMessage when it is not a JSON object, has
// another schema_version, or has neither a non-empty job_id nor a non-empty marker (strings).
CancelStreamEntry decode_cancel_stream_entry(std::string_view body);

}  // namespace visiongw::protocol
