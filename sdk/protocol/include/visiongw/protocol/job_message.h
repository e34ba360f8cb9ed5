// The job message (gateway → worker) of sdk/PROTOCOL.md: what a worker needs to analyse one
// image, which it reads from `file_path`, or from `file_url` when there is one (only where the
// image is travels, never its bytes).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>

#include "visiongw/protocol/schema.h"

namespace visiongw::protocol {

// What the gateway measured of the image; `format` and `content_type` come from its magic
// bytes, `original_filename` is the client's (any text).
struct ImageMetadata {
    std::string format;  // "jpeg", "png", "webp", ...
    std::int64_t width = 0;
    std::int64_t height = 0;
    std::uint64_t size_bytes = 0;
    std::string original_filename;
    std::string content_type;

    bool operator==(const ImageMetadata&) const = default;
};

// A parameter of the analysis type: null, a boolean, a number or a string (the same variant as
// sdk::ParamValue, so the gateway's validated parameters are used as they are).
using ParameterValue = std::variant<std::monostate, bool, double, std::string>;
using Parameters = std::map<std::string, ParameterValue>;

struct JobMessage {
    std::string job_id;
    std::string analysis_type;
    std::string file_path;  // a path on the gateway's disk, or s3://<bucket>/<key>
    std::string file_url;   // where any host can GET the image (presigned); empty: read file_path
    std::string file_hash;  // lowercase hex SHA-256 of the file
    ImageMetadata metadata;
    Parameters parameters;
    std::string timestamp;  // RFC 3339 UTC, when the job was created

    bool operator==(const JobMessage&) const = default;
};

// The message body: {"schema_version":1,"job_id":…,"analysis_type":…,"file_path":…,
// "file_hash":…,"metadata":{…},"parameters":{…},"timestamp":…}, in this order, without spaces;
// with a file_url, schema_version is 2 and "file_url":… follows file_path.
// Strings that are not UTF-8 have their bad bytes replaced by U+FFFD.
std::string encode_job_message(const JobMessage& message);

// The "parameters" object of the job message, keys in order; the gateway's job view shows the
// same text.
std::string encode_parameters(const Parameters& parameters);

// Reads a job message body. Throws MalformedMessage when it is not a JSON object, has a
// schema_version other than 1 or 2, or a field is missing, mistyped, or out of range: job_id,
// analysis_type, file_path and file_hash must be non-empty strings, and so must file_url in
// version 2 (version 1 has none), file_hash 64 lowercase hex digits,
// metadata an object of the ImageMetadata fields (numbers whole and not negative), parameters
// an object whose values are null, booleans, numbers or strings, timestamp a string.
JobMessage decode_job_message(std::string_view body);

}  // namespace visiongw::protocol
