#include "visiongw/protocol/job_message.h"

#include <Poco/JSON/Object.h>

#include <algorithm>

#include "json_object.h"
#include "visiongw/protocol/json_text.h"

namespace visiongw::protocol {
namespace {

void append_parameter(std::string& out, const ParameterValue& value) {
    if (auto* flag = std::get_if<bool>(&value))
        out += *flag ? "true" : "false";
    else if (auto* number = std::get_if<double>(&value))
        append_json_number(out, *number);
    else if (auto* text = std::get_if<std::string>(&value))
        append_json_string(out, *text);
    else
        out += "null";
}

// `"name":` after a comma unless it is the object's first member.
void append_key(std::string& out, std::string_view name) {
    if (out.back() != '{')
        out += ',';
    append_json_string(out, name);
    out += ':';
}

bool is_sha256_hex(const std::string& text) {
    return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

ImageMetadata metadata_of(const Poco::JSON::Object& object) {
    try {
        ImageMetadata metadata;
        metadata.format = string_field(object, "format");
        metadata.width = count_field(object, "width");
        metadata.height = count_field(object, "height");
        metadata.size_bytes = static_cast<std::uint64_t>(count_field(object, "size_bytes"));
        metadata.original_filename = string_field(object, "original_filename");
        metadata.content_type = string_field(object, "content_type");
        return metadata;
    } catch (const MalformedMessage& e) {
        throw MalformedMessage(std::string("metadata.") + e.what());
    }
}

Parameters parameters_of(const Poco::JSON::Object& object) {
    Parameters parameters;
    for (const auto& [name, value] : object) {
        if (value.isEmpty())
            parameters[name] = std::monostate{};
        else if (value.isBoolean())
            parameters[name] = value.extract<bool>();
        else if (value.isNumeric())
            parameters[name] = value.convert<double>();
        else if (value.isString())
            parameters[name] = value.extract<std::string>();
        else
            throw MalformedMessage("parameters." + name +
                                   " must be null, a boolean, a number or a string");
    }
    return parameters;
}

}  // namespace

// Assembled as text, not a Poco::JSON tree: the gateway writes one per submit, and building
// and stringifying the trees cost ~7% of its CPU.
std::string encode_parameters(const Parameters& parameters) {
    std::string out = "{";
    for (const auto& [name, value] : parameters) {
        append_key(out, name);
        append_parameter(out, value);
    }
    return out + "}";
}

std::string encode_job_message(const JobMessage& message) {
    std::string out;
    out.reserve(512 + message.file_path.size() + message.file_url.size() +
                message.metadata.original_filename.size());
    out += "{\"schema_version\":" +
           std::to_string(message.file_url.empty() ? kSchemaVersion : kJobMessageUrlVersion);
    append_key(out, "job_id");
    append_json_string(out, message.job_id);
    append_key(out, "analysis_type");
    append_json_string(out, message.analysis_type);
    append_key(out, "file_path");
    append_json_string(out, message.file_path);
    if (!message.file_url.empty()) {
        append_key(out, "file_url");
        append_json_string(out, message.file_url);
    }
    append_key(out, "file_hash");
    append_json_string(out, message.file_hash);
    append_key(out, "metadata");
    out += '{';
    const ImageMetadata& metadata = message.metadata;
    append_key(out, "format");
    append_json_string(out, metadata.format);
    append_key(out, "width");
    out += std::to_string(metadata.width);
    append_key(out, "height");
    out += std::to_string(metadata.height);
    append_key(out, "size_bytes");
    out += std::to_string(metadata.size_bytes);
    append_key(out, "original_filename");
    append_json_string(out, metadata.original_filename);
    append_key(out, "content_type");
    append_json_string(out, metadata.content_type);
    out += '}';
    append_key(out, "parameters");
    out += encode_parameters(message.parameters);
    append_key(out, "timestamp");
    append_json_string(out, message.timestamp);
    out += '}';
    return out;
}

JobMessage decode_job_message(std::string_view body) {
    Poco::JSON::Object::Ptr object = parse_message(body, kJobMessageUrlVersion);
    try {
        JobMessage message;
        message.job_id = required_string(*object, "job_id");
        message.analysis_type = required_string(*object, "analysis_type");
        message.file_path = required_string(*object, "file_path");
        if (object->getValue<int>("schema_version") == kJobMessageUrlVersion)
            message.file_url = required_string(*object, "file_url");
        message.file_hash = required_string(*object, "file_hash");
        if (!is_sha256_hex(message.file_hash))
            throw MalformedMessage("file_hash must be 64 lowercase hex digits");
        message.metadata = metadata_of(*object_field(*object, "metadata"));
        message.parameters = parameters_of(*object_field(*object, "parameters"));
        message.timestamp = string_field(*object, "timestamp");
        return message;
    } catch (const Poco::Exception& e) {
        throw MalformedMessage("job message: " + e.displayText());
    }
}

}  // namespace visiongw::protocol
