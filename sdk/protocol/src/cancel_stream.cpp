#include "visiongw/protocol/cancel_stream.h"

#include <Poco/JSON/Object.h>

#include "json_object.h"

namespace visiongw::protocol {

std::string encode_cancellation(std::string_view job_id) {
    Poco::JSON::Object cancel(Poco::JSON_PRESERVE_KEY_ORDER);
    cancel.set("schema_version", kSchemaVersion);
    cancel.set("job_id", std::string(job_id));
    return json_of(cancel);
}

std::string encode_marker(std::string_view marker_id) {
    Poco::JSON::Object marker;  // keys sorted
    marker.set("schema_version", kSchemaVersion);
    marker.set("marker", std::string(marker_id));
    return json_of(marker);
}

CancelStreamEntry decode_cancel_stream_entry(std::string_view body) {
    Poco::JSON::Object::Ptr object = parse_message(body);
    try {
        if (object->has("job_id"))
            return {required_string(*object, "job_id"), ""};
        if (object->has("marker"))
            return {"", required_string(*object, "marker")};
    } catch (const Poco::Exception& e) {
        throw MalformedMessage("cancel-stream entry: " + e.displayText());
    }
    throw MalformedMessage("a cancel-stream entry needs a job_id or a marker");
}

}  // namespace visiongw::protocol
