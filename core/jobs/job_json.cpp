#include "jobs/job_json.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include <string_view>

#include "ops/json_text.h"
#include "visiongw/protocol/job_message.h"
#include "visiongw/protocol/trace_context.h"

namespace visiongw::core {
namespace {

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
    return protocol::encode_parameters(parameters);
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
    if (auto trace = protocol::parse_traceparent(record.traceparent))
        out += ",\"trace_id\":\"" + trace->trace_id + "\"";
    out += ",\"links\":{\"self\":" + json_quote(self) +
           ",\"events\":" + json_quote(self + "/events") +
           ",\"cancel\":" + json_quote(self + "/cancel") + "}}";
    return out;
}

}  // namespace visiongw::core
