#include "jobs/worker_event.h"

#include <sstream>

#include "jobs/job_json.h"

namespace visiongw::core {
namespace {

std::string json_or(const Poco::JSON::Object::Ptr& object, const char* absent) {
    if (object.isNull())
        return absent;
    std::ostringstream out;
    object->stringify(out);
    return out.str();
}

}  // namespace

sdk::JobChange job_change_of(const protocol::WorkerEvent& event) {
    sdk::JobChange change;
    change.updated_at = utc_now();
    switch (event.type) {
        case protocol::WorkerEventType::started:
            change.status = sdk::JobStatus::processing;
            break;
        case protocol::WorkerEventType::progress:
            change.status = sdk::JobStatus::processing;
            change.progress = event.progress;
            break;
        case protocol::WorkerEventType::completed:
            change.status = sdk::JobStatus::completed;
            change.result_json = json_or(event.result, "{}");
            break;
        case protocol::WorkerEventType::failed:
            change.status = sdk::JobStatus::failed;
            change.error_json = json_or(event.error, R"({"code":"analysis_failed","message":""})");
            break;
    }
    return change;
}

}  // namespace visiongw::core
