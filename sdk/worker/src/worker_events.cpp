#include "worker_events.h"

#include <unistd.h>

namespace visiongw::worker {

protocol::WorkerEvent WorkerEvents::stamped(const std::string& job_id,
                                            protocol::WorkerEventType type) const {
    protocol::WorkerEvent event;
    event.job_id = job_id;
    event.type = type;
    event.worker_id = worker_id_;
    event.timestamp = protocol::event_timestamp();
    return event;
}

std::string WorkerEvents::started(const std::string& job_id) const {
    return protocol::encode_worker_event(stamped(job_id, protocol::WorkerEventType::started));
}

std::string WorkerEvents::progress(const std::string& job_id, int percent) const {
    protocol::WorkerEvent event = stamped(job_id, protocol::WorkerEventType::progress);
    event.progress = percent;
    return protocol::encode_worker_event(event);
}

std::string WorkerEvents::completed(const std::string& job_id,
                                    Poco::JSON::Object::Ptr result) const {
    protocol::WorkerEvent event = stamped(job_id, protocol::WorkerEventType::completed);
    event.result = std::move(result);
    return protocol::encode_worker_event(event);
}

std::string WorkerEvents::failed(const std::string& job_id, const std::string& code,
                                 const std::string& message) const {
    protocol::WorkerEvent event = stamped(job_id, protocol::WorkerEventType::failed);
    event.error = protocol::event_error(code, message);
    return protocol::encode_worker_event(event);
}

std::string default_worker_id() {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0)
        host[0] = '\0';
    return std::string(*host ? host : "worker") + "-" + std::to_string(getpid());
}

}  // namespace visiongw::worker
