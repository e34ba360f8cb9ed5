// A job message the broker dead-lettered (sdk/PROTOCOL.md "Dead letters"), read as the `failed`
// worker event that the gateway applies for it.
#pragma once

#include <optional>
#include <string_view>

#include "visiongw/protocol/worker_event.h"

namespace visiongw::protocol {

// The `failed` event {"code":"dead_lettered","message":"… (reason: R)"} of the job the
// dead-lettered message was for: its `message_id`, else the body's job_id (any body, even one
// that is not JSON, is accepted). `reason` is the x-first-death-reason header ("unknown" when
// absent). nullopt when no job id can be found.
std::optional<WorkerEvent> dead_letter_event(std::string_view message_id, std::string_view body,
                                             std::optional<std::string_view> reason);

}  // namespace visiongw::protocol
