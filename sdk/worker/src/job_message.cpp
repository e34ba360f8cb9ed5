#include "job_message.h"

#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cctype>

namespace visiongw::worker {
namespace {

std::string required_string(const Poco::JSON::Object& object, const std::string& name) {
    Poco::Dynamic::Var value = object.get(name);
    if (!value.isString() || value.extract<std::string>().empty()) {
        throw UnusableMessage(name + " must be a non-empty string");
    }
    return value.extract<std::string>();
}

Poco::JSON::Object::Ptr required_object(const Poco::JSON::Object& object, const std::string& name) {
    Poco::JSON::Object::Ptr value = object.getObject(name);
    if (value.isNull())
        throw UnusableMessage(name + " must be a JSON object");
    return value;
}

bool is_sha256_hex(const std::string& text) {
    return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
               return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
           });
}

}  // namespace

Job parse_job_message(const std::string& body, const std::string& request_id) {
    Poco::JSON::Object::Ptr message;
    try {
        message = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception& e) {
        throw UnusableMessage("not a JSON object: " + e.displayText());
    }
    Poco::Dynamic::Var version = message->get("schema_version");
    if (!version.isInteger() || version.convert<int>() != 1) {
        throw UnusableMessage("schema_version must be 1, got " +
                              (version.isEmpty() ? std::string("nothing") : version.toString()));
    }
    Job job;
    job.job_id = required_string(*message, "job_id");
    job.request_id = request_id;
    job.analysis_type = required_string(*message, "analysis_type");
    job.file_path = required_string(*message, "file_path");
    job.file_hash = required_string(*message, "file_hash");
    if (!is_sha256_hex(job.file_hash)) {
        throw UnusableMessage("file_hash must be 64 lowercase hex digits");
    }
    job.metadata = required_object(*message, "metadata");
    job.parameters = required_object(*message, "parameters");
    Poco::Dynamic::Var size = job.metadata->get("size_bytes");
    if (!size.isInteger() || size.convert<std::int64_t>() < 0) {
        throw UnusableMessage("metadata.size_bytes must be a non-negative integer");
    }
    job.size_bytes = size.convert<std::uint64_t>();
    return job;
}

}  // namespace visiongw::worker
