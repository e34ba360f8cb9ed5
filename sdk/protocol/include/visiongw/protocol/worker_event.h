// The worker events (worker → gateway) of sdk/PROTOCOL.md: started, progress, completed, failed.
#pragma once

#include <Poco/JSON/Object.h>

#include <string>
#include <string_view>

#include "visiongw/protocol/schema.h"

namespace visiongw::protocol {

enum class WorkerEventType { started, progress, completed, failed };

// "started", "progress", "completed" or "failed".
const char* event_name(WorkerEventType type);

struct WorkerEvent {
    std::string job_id;
    WorkerEventType type = WorkerEventType::started;
    int progress = 0;                // progress: 0–100
    Poco::JSON::Object::Ptr result;  // completed: any JSON object; null when absent
    Poco::JSON::Object::Ptr error;   // failed: {"code": …, "message": …}; null when absent
    std::string worker_id;           // empty when absent
    std::string timestamp;           // RFC 3339 UTC; empty when absent
};

// Both texts compared: the JSON objects by their encoding.
bool operator==(const WorkerEvent& left, const WorkerEvent& right);

// The `error` object of a failed event: {"code": code, "message": message}.
Poco::JSON::Object::Ptr event_error(const std::string& code, const std::string& message);

// The time now as an event's timestamp, e.g. 2026-11-28T17:00:01Z.
std::string event_timestamp();

// The event body, keys in alphabetical order, without spaces: {"error":…,"event":…,
// "job_id":…,"progress":…,"result":…,"schema_version":1,"timestamp":…,"worker_id":…}. A field
// is written only for its event type (progress, result, error), and only when set (result,
// error, worker_id, timestamp).
std::string encode_worker_event(const WorkerEvent& event);

// Reads a worker event body. Throws MalformedMessage when it is not a JSON object, has another
// schema_version, no job_id (a non-empty string), an unknown event, a progress that is not a
// number, or a result or error that is not an object. A progress outside 0–100 is clamped; a
// missing one is 0. worker_id and timestamp are informative: read when they are strings.
WorkerEvent decode_worker_event(std::string_view body);

}  // namespace visiongw::protocol
