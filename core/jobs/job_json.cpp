#include "jobs/job_json.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include <string_view>

#include "ops/json_text.h"

namespace visiongw::core {
namespace {

std::string param_json(const sdk::ParamValue& value) {
    if (auto* b = std::get_if<bool>(&value))
        return *b ? "true" : "false";
    if (auto* d = std::get_if<double>(&value)) {
        std::string number;
        append_json_number(number, *d);
        return number;
    }
    if (auto* s = std::get_if<std::string>(&value))
        return json_quote(*s);
    return "null";
}

// A stored JSON text (written by this gateway, so valid) as it is; empty text is null.
std::string_view raw_or_null(const std::string& json) {
    return json.empty() ? std::string_view("null") : std::string_view(json);
}

std::string job_path(const std::string& id) {
    return "/api/v1/vision/jobs/" + id;
}

}  // namespace

std::string utc_now() {
    return Poco::DateTimeFormatter::format(Poco::Timestamp(), "%Y-%m-%dT%H:%M:%SZ");
}

// The job texts below are assembled as strings, not Poco::JSON trees: a submit writes three
// of them, and building and stringifying the trees cost ~7% of the gateway's CPU.
std::string parameters_json(const std::map<std::string, sdk::ParamValue>& parameters) {
    std::string out = "{";
    for (const auto& [name, value] : parameters) {
        if (out.size() > 1)
            out += ',';
        out += json_quote(name) + ":" + param_json(value);
    }
    return out + "}";
}

std::string file_json(const ReceivedUpload& upload, bool deduplicated) {
    return "{\"sha256\":" + json_quote(upload.sha256) + ",\"size\":" + std::to_string(upload.size) +
           ",\"format\":" + json_quote(format_name(upload.image.format)) +
           ",\"width\":" + std::to_string(upload.image.width) +
           ",\"height\":" + std::to_string(upload.image.height) +
           ",\"deduplicated\":" + (deduplicated ? "true" : "false") + "}";
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
    return "{\"schema_version\":1,\"job_id\":" + json_quote(record.id) +
           ",\"analysis_type\":" + json_quote(record.analysis_type) +
           ",\"file_path\":" + json_quote(file_path) +
           ",\"file_hash\":" + json_quote(upload.sha256) +
           ",\"metadata\":{\"format\":" + json_quote(format_name(upload.image.format)) +
           ",\"width\":" + std::to_string(upload.image.width) +
           ",\"height\":" + std::to_string(upload.image.height) +
           ",\"size_bytes\":" + std::to_string(upload.size) +
           ",\"original_filename\":" + json_quote(upload.original_filename) +
           ",\"content_type\":" + json_quote(upload.image.mime_type()) +
           "},\"parameters\":" + parameters_json(parameters) +
           ",\"timestamp\":" + json_quote(record.created_at) + "}";
}

}  // namespace visiongw::core
