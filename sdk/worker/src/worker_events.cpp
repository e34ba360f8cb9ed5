#include "worker_events.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>
#include <unistd.h>

#include <sstream>

namespace visiongw::worker {
namespace {

std::string to_text(const Poco::JSON::Object& object) {
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

}  // namespace

Poco::JSON::Object WorkerEvents::event(const std::string& job_id, const std::string& name) const {
    Poco::JSON::Object object;
    object.set("schema_version", 1);
    object.set("job_id", job_id);
    object.set("event", name);
    object.set("worker_id", worker_id_);
    object.set("timestamp", Poco::DateTimeFormatter::format(Poco::Timestamp(),
                                                            Poco::DateTimeFormat::ISO8601_FORMAT));
    return object;
}

std::string WorkerEvents::started(const std::string& job_id) const {
    return to_text(event(job_id, "started"));
}

std::string WorkerEvents::progress(const std::string& job_id, int percent) const {
    Poco::JSON::Object object = event(job_id, "progress");
    object.set("progress", percent);
    return to_text(object);
}

std::string WorkerEvents::completed(const std::string& job_id,
                                    Poco::JSON::Object::Ptr result) const {
    Poco::JSON::Object object = event(job_id, "completed");
    object.set("result", result);
    return to_text(object);
}

std::string WorkerEvents::failed(const std::string& job_id, const std::string& code,
                                 const std::string& message) const {
    Poco::JSON::Object::Ptr error = new Poco::JSON::Object;
    error->set("code", code);
    error->set("message", message);
    Poco::JSON::Object object = event(job_id, "failed");
    object.set("error", error);
    return to_text(object);
}

std::string default_worker_id() {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0)
        host[0] = '\0';
    return std::string(*host ? host : "worker") + "-" + std::to_string(getpid());
}

}  // namespace visiongw::worker
