// What a worker event of the wire protocol (sdk/PROTOCOL.md) changes in its job record.
#pragma once

#include "visiongw/protocol/worker_event.h"
#include "visiongw/sdk/job_store.h"

namespace visiongw::core {

// started and progress → processing (with the progress); completed → completed with its result
// ({} without one); failed → failed with its error ({"code":"analysis_failed","message":""}
// without one). Stamped with the time now.
sdk::JobChange job_change_of(const protocol::WorkerEvent& event);

}  // namespace visiongw::core
