// The JSON of the worker events of sdk/PROTOCOL.md, each stamped with worker id and time.
#pragma once

#include <Poco/JSON/Object.h>

#include <string>

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
    Poco::JSON::Object event(const std::string& job_id, const std::string& name) const;

    std::string worker_id_;
};

// "<hostname>-<pid>": the default worker id.
std::string default_worker_id();

}  // namespace visiongw::worker
