#include "jobs/worker_event.h"

#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <sstream>

#include "jobs/job_json.h"

namespace visiongw::core {
namespace {

// A worker event of the wire protocol as a job change; nullopt for an unknown event.
std::optional<sdk::JobChange> change_of(const Poco::JSON::Object& event) {
    const std::string type = event.optValue<std::string>("event", "");
    sdk::JobChange change;
    change.updated_at = utc_now();
    auto json_of = [&](const char* field) {
        std::ostringstream out;
        Poco::JSON::Stringifier::stringify(event.get(field), out);
        return out.str();
    };
    if (type == "started") {
        change.status = sdk::JobStatus::processing;
    } else if (type == "progress") {
        change.status = sdk::JobStatus::processing;
        change.progress = std::clamp(event.optValue<int>("progress", 0), 0, 100);
    } else if (type == "completed") {
        change.status = sdk::JobStatus::completed;
        change.result_json = event.has("result") ? json_of("result") : "{}";
    } else if (type == "failed") {
        change.status = sdk::JobStatus::failed;
        change.error_json =
            event.has("error") ? json_of("error") : R"({"code":"analysis_failed","message":""})";
    } else {
        return std::nullopt;
    }
    return change;
}

}  // namespace

std::optional<WorkerEvent> decode_worker_event(std::string_view json) {
    Poco::JSON::Object::Ptr event;
    try {
        event = Poco::JSON::Parser().parse(std::string(json)).extract<Poco::JSON::Object::Ptr>();
    } catch (const std::exception&) {
        return std::nullopt;
    }
    return WorkerEvent{event->optValue<std::string>("job_id", ""),
                       event->optValue<std::string>("event", ""), change_of(*event)};
}

}  // namespace visiongw::core
