#include "jobs/job_json.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Object.h>
#include <Poco/Timestamp.h>

#include <sstream>
#include <string_view>

#include "http/exchange.h"

namespace visiongw::core {
namespace {

Poco::Dynamic::Var param_var(const sdk::ParamValue& value) {
    if (auto* b = std::get_if<bool>(&value))
        return *b;
    if (auto* d = std::get_if<double>(&value))
        return *d;
    if (auto* s = std::get_if<std::string>(&value))
        return *s;
    return Poco::Dynamic::Var();
}

Poco::JSON::Object::Ptr parameters_object(const std::map<std::string, sdk::ParamValue>& values) {
    Poco::JSON::Object::Ptr object = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto& [name, value] : values)
        object->set(name, param_var(value));
    return object;
}

// A stored JSON text (written by this gateway, so valid) as it is; empty text is null.
std::string_view raw_or_null(const std::string& json) {
    return json.empty() ? std::string_view("null") : std::string_view(json);
}

std::string text(const Poco::JSON::Object::Ptr& object) {
    std::ostringstream out;
    object->stringify(out);
    return out.str();
}

std::string job_path(const std::string& id) {
    return "/api/v1/vision/jobs/" + id;
}

}  // namespace

std::string utc_now() {
    return Poco::DateTimeFormatter::format(Poco::Timestamp(), "%Y-%m-%dT%H:%M:%SZ");
}

std::string parameters_json(const std::map<std::string, sdk::ParamValue>& parameters) {
    return text(parameters_object(parameters));
}

std::string file_json(const ReceivedUpload& upload, bool deduplicated) {
    Poco::JSON::Object::Ptr file = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    file->set("sha256", upload.sha256);
    file->set("size", upload.size);
    file->set("format", std::string(format_name(upload.image.format)));
    file->set("width", upload.image.width);
    file->set("height", upload.image.height);
    file->set("deduplicated", deduplicated);
    return text(file);
}

std::string job_json(const sdk::JobRecord& record) {
    // Assembled as text: the JSON-valued fields are stored as JSON text and embedded as they
    // are, so no request parses and re-serialises them.
    const std::string self = job_path(record.id);
    std::string out;
    out.reserve(512 + record.parameters_json.size() + record.file_json.size() +
                record.result_json.size() + record.error_json.size());
    out += "{\"job_id\":" + json_quote(record.id);
    out += ",\"status\":\"" + std::string(sdk::to_string(record.status)) + "\"";
    out += ",\"progress\":" + std::to_string(record.progress);
    out += ",\"analysis_type\":" + json_quote(record.analysis_type);
    out += ",\"parameters\":";
    out += raw_or_null(record.parameters_json);
    out += ",\"file\":";
    out += raw_or_null(record.file_json);
    out += ",\"created_at\":" + json_quote(record.created_at);
    out += ",\"updated_at\":" + json_quote(record.updated_at);
    out += ",\"result\":";
    out += raw_or_null(record.result_json);
    out += ",\"error\":";
    out += raw_or_null(record.error_json);
    out += ",\"links\":{\"self\":" + json_quote(self) +
           ",\"events\":" + json_quote(self + "/events") +
           ",\"cancel\":" + json_quote(self + "/cancel") + "}}";
    return out;
}

std::string job_message_json(const sdk::JobRecord& record, const ReceivedUpload& upload,
                             const std::string& file_path,
                             const std::map<std::string, sdk::ParamValue>& parameters) {
    Poco::JSON::Object::Ptr message = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    message->set("schema_version", 1);
    message->set("job_id", record.id);
    message->set("analysis_type", record.analysis_type);
    message->set("file_path", file_path);
    message->set("file_hash", upload.sha256);
    Poco::JSON::Object::Ptr metadata = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    metadata->set("format", std::string(format_name(upload.image.format)));
    metadata->set("width", upload.image.width);
    metadata->set("height", upload.image.height);
    metadata->set("size_bytes", upload.size);
    metadata->set("original_filename", upload.original_filename);
    metadata->set("content_type", std::string(upload.image.mime_type()));
    message->set("metadata", metadata);
    message->set("parameters", parameters_object(parameters));
    message->set("timestamp", record.created_at);
    return text(message);
}

}  // namespace visiongw::core
