// The worker events of sdk/PROTOCOL.md this worker sends, each stamped with its worker id and
// the time.
#pragma once

#include <Poco/JSON/Object.h>

#include <string>

#include "visiongw/protocol/worker_event.h"

namespace visiongw::worker {

class WorkerEvents {
public:
    explicit WorkerEvents(std::string worker_id) : worker_id_(std::move(worker_id)) {}

    std::string started(const std::string& job_id) const;
    std::string progress(const std::string& job_id, int percent) const;
    std::string completed(const std::string& job_id, Poco::JSON::Object::Ptr result) const;
    std::string failed(const std::string& job_id, const std::string& code,
                       const std::string& message) const;

private:
    protocol::WorkerEvent stamped(const std::string& job_id, protocol::WorkerEventType type) const;

    std::string worker_id_;
};

// "<hostname>-<pid>": the default worker id.
std::string default_worker_id();

}  // namespace visiongw::worker
