// Decoding of the worker events of the wire protocol (sdk/PROTOCOL.md) into job changes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "visiongw/sdk/job_store.h"

namespace visiongw::core {

// One worker event as the gateway folds it into a job record.
struct WorkerEvent {
    std::string job_id;                    // empty when the event names none
    std::string type;                      // its "event": started, progress, completed, failed
    std::optional<sdk::JobChange> change;  // nullopt for an unknown event type
};

// The event of `json`; nullopt when `json` is not a JSON object.
std::optional<WorkerEvent> decode_worker_event(std::string_view json);

}  // namespace visiongw::core
