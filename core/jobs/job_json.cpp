#include "jobs/job_json.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Timestamp.h>

#include <sstream>
#include <string_view>

#include "ops/json_text.h"
#include "visiongw/protocol/job_message.h"
#include "visiongw/protocol/json_text.h"
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

// The `summary` text of a stored result, as JSON (null when the result has none).
std::string result_summary_json(const std::string& result_json) {
    if (result_json.empty())
        return "null";
    try {
        auto result = Poco::JSON::Parser().parse(result_json);
        auto object = result.extract<Poco::JSON::Object::Ptr>();
        if (object && object->has("summary") && object->get("summary").isString())
            return json_quote(object->getValue<std::string>("summary"));
    } catch (const Poco::Exception&) {
        // Not an object: no summary.
    }
    return "null";
}

// The "webhook" object of a job with a callback_url.
std::string webhook_json(const sdk::WebhookState& webhook) {
    return "{\"status\":\"" + std::string(sdk::to_string(webhook.status)) +
           "\",\"attempts\":" + std::to_string(webhook.attempts) + ",\"last_error\":" +
           (webhook.last_error.empty() ? std::string("null") : json_quote(webhook.last_error)) +
           "}";
}

// The job object with `result_key` set to `result_value` (raw JSON), and its webhook's state
// when `with_webhook` and it has one.
std::string job_object(const sdk::JobRecord& record, std::string_view result_key,
                       std::string_view result_value, bool with_webhook = true) {
    // Assembled as text: the JSON-valued fields are stored as JSON text and embedded as they
    // are, so no request parses and re-serialises them.
    const std::string self = job_path(record.id);
    std::string out;
    out.reserve(512 + record.parameters_json.size() + record.file_json.size() +
                result_value.size() + record.error_json.size());
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
    out += ",\"";
    out += result_key;
    out += "\":";
    out += result_value;
    out += ",\"error\":";
    out += raw_or_null(record.error_json);
    if (auto trace = protocol::parse_traceparent(record.traceparent))
        out += ",\"trace_id\":\"" + trace->trace_id + "\"";
    if (with_webhook && !record.callback_url.empty())
        out += ",\"webhook\":" + webhook_json(record.webhook);
    out += ",\"links\":{\"self\":" + json_quote(self) +
           ",\"events\":" + json_quote(self + "/events") +
           ",\"cancel\":" + json_quote(self + "/cancel") + "}}";
    return out;
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
    return job_object(record, "result", raw_or_null(record.result_json));
}

std::string webhook_payload_json(const sdk::JobRecord& record) {
    return job_object(record, "result", raw_or_null(record.result_json), false);
}

std::string job_list_item_json(const sdk::JobRecord& record) {
    return job_object(record, "result_summary", result_summary_json(record.result_json));
}

std::string job_list_json(const sdk::JobPage& page) {
    std::string out = "{\"jobs\":[";
    for (std::size_t i = 0; i < page.jobs.size(); ++i) {
        out += i ? "," : "";
        out += job_list_item_json(page.jobs[i]);
    }
    out += "],\"next_cursor\":";
    out += page.next.empty() ? "null" : json_quote(encode_cursor(page.next));
    out += "}";
    return out;
}

// One parameter of an analysis type: name, type, limits, default and description.
void append_parameter_spec(std::string& out, const sdk::ParameterSpec& spec) {
    out += "{\"name\":" + json_quote(spec.name);
    switch (spec.type) {
        case sdk::ParamType::number:
            out += ",\"type\":\"number\",\"minimum\":";
            protocol::append_json_number(out, spec.min);
            out += ",\"maximum\":";
            protocol::append_json_number(out, spec.max);
            break;
        case sdk::ParamType::boolean:
            out += ",\"type\":\"boolean\"";
            break;
        case sdk::ParamType::text:
            out += ",\"type\":\"text\",\"max_length\":" + std::to_string(spec.max_length);
            break;
    }
    out += ",\"default\":";
    if (const auto* flag = std::get_if<bool>(&spec.default_value))
        out += *flag ? "true" : "false";
    else if (const auto* number = std::get_if<double>(&spec.default_value))
        protocol::append_json_number(out, *number);
    else if (const auto* text = std::get_if<std::string>(&spec.default_value))
        out += json_quote(*text);
    else
        out += "null";
    out += ",\"description\":" + json_quote(spec.description) + "}";
}

std::string analysis_types_json(
    const std::map<std::string, std::shared_ptr<sdk::AnalysisValidator>>& validators) {
    std::string out = "{\"analysis_types\":[";
    const char* type_separator = "";
    for (const auto& [name, validator] : validators) {
        out += type_separator;
        type_separator = ",";
        out += "{\"name\":" + json_quote(name) + ",\"parameters\":[";
        const char* separator = "";
        for (const sdk::ParameterSpec& spec : validator->parameters()) {
            out += separator;
            separator = ",";
            append_parameter_spec(out, spec);
        }
        out += "]}";
    }
    out += "]}";
    return out;
}

std::string encode_cursor(const std::string& position) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    encoder.rdbuf()->setLineLength(0);
    encoder << position;
    encoder.close();
    return out.str();
}

std::optional<std::string> decode_cursor(const std::string& cursor) {
    constexpr std::size_t kLongestCursor = 512;
    if (cursor.empty() || cursor.size() > kLongestCursor ||
        cursor.find_first_not_of(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
            std::string::npos)
        return std::nullopt;
    try {
        std::istringstream in(cursor);
        Poco::Base64Decoder decoder(in, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
        std::string position((std::istreambuf_iterator<char>(decoder)),
                             std::istreambuf_iterator<char>());
        if (position.empty())
            return std::nullopt;
        return position;
    } catch (const Poco::Exception&) {
        return std::nullopt;
    }
}

}  // namespace visiongw::core
