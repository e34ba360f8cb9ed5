#include "visiongw/protocol/worker_event.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include <algorithm>
#include <array>

#include "json_object.h"

namespace visiongw::protocol {
namespace {

constexpr std::array kTypes = {WorkerEventType::started, WorkerEventType::progress,
                               WorkerEventType::completed, WorkerEventType::failed};

WorkerEventType type_named(const std::string& name) {
    for (WorkerEventType type : kTypes) {
        if (name == event_name(type))
            return type;
    }
    throw MalformedMessage("event must be started, progress, completed or failed, not \"" +
                           name.substr(0, 64) + "\"");
}

// The object, or null when the field is absent.
Poco::JSON::Object::Ptr optional_object(const Poco::JSON::Object& object,
                                        const std::string& field) {
    return object.has(field) ? object_field(object, field) : Poco::JSON::Object::Ptr();
}

std::string optional_string(const Poco::JSON::Object& object, const std::string& field) {
    Poco::Dynamic::Var value = object.get(field);
    return value.isString() ? value.extract<std::string>() : std::string();
}

bool same_json(const Poco::JSON::Object::Ptr& left, const Poco::JSON::Object::Ptr& right) {
    if (left.isNull() || right.isNull())
        return left.isNull() == right.isNull();
    return json_of(*left) == json_of(*right);
}

}  // namespace

const char* event_name(WorkerEventType type) {
    switch (type) {
        case WorkerEventType::started:
            return "started";
        case WorkerEventType::progress:
            return "progress";
        case WorkerEventType::completed:
            return "completed";
        case WorkerEventType::failed:
            return "failed";
    }
    return "started";
}

bool operator==(const WorkerEvent& left, const WorkerEvent& right) {
    return left.job_id == right.job_id && left.type == right.type &&
           left.progress == right.progress && same_json(left.result, right.result) &&
           same_json(left.error, right.error) && left.worker_id == right.worker_id &&
           left.timestamp == right.timestamp;
}

Poco::JSON::Object::Ptr event_error(const std::string& code, const std::string& message) {
    Poco::JSON::Object::Ptr error = new Poco::JSON::Object;
    error->set("code", code);
    error->set("message", message);
    return error;
}

std::string event_timestamp() {
    return Poco::DateTimeFormatter::format(Poco::Timestamp(), Poco::DateTimeFormat::ISO8601_FORMAT);
}

std::string encode_worker_event(const WorkerEvent& event) {
    Poco::JSON::Object object;  // keys sorted
    object.set("schema_version", kSchemaVersion);
    object.set("job_id", event.job_id);
    object.set("event", std::string(event_name(event.type)));
    if (!event.worker_id.empty())
        object.set("worker_id", event.worker_id);
    if (!event.timestamp.empty())
        object.set("timestamp", event.timestamp);
    if (event.type == WorkerEventType::progress)
        object.set("progress", event.progress);
    if (event.type == WorkerEventType::completed && !event.result.isNull())
        object.set("result", event.result);
    if (event.type == WorkerEventType::failed && !event.error.isNull())
        object.set("error", event.error);
    return json_of(object);
}

WorkerEvent decode_worker_event(std::string_view body) {
    Poco::JSON::Object::Ptr object = parse_message(body);
    try {
        WorkerEvent event;
        event.job_id = required_string(*object, "job_id");
        event.type = type_named(string_field(*object, "event"));
        if (event.type == WorkerEventType::progress && object->has("progress")) {
            Poco::Dynamic::Var progress = object->get("progress");
            if (!progress.isNumeric())
                throw MalformedMessage("progress must be a number from 0 to 100");
            event.progress = static_cast<int>(std::clamp(progress.convert<double>(), 0.0, 100.0));
        }
        if (event.type == WorkerEventType::completed)
            event.result = optional_object(*object, "result");
        if (event.type == WorkerEventType::failed)
            event.error = optional_object(*object, "error");
        event.worker_id = optional_string(*object, "worker_id");
        event.timestamp = optional_string(*object, "timestamp");
        return event;
    } catch (const Poco::Exception& e) {
        throw MalformedMessage("worker event: " + e.displayText());
    }
}

}  // namespace visiongw::protocol
