// Reading the JSON objects of the protocol: every failure becomes a MalformedMessage naming the
// field.
#pragma once

#include <Poco/JSON/Object.h>

#include <string>
#include <string_view>

#include "visiongw/protocol/schema.h"

namespace visiongw::protocol {

// Parses `body` as a JSON object whose schema_version is kSchemaVersion, or up to `newest`
// for a message type with later versions.
Poco::JSON::Object::Ptr parse_message(std::string_view body, int newest = kSchemaVersion);

// The field as a non-empty string.
std::string required_string(const Poco::JSON::Object& object, const std::string& field);
// The field as a string, possibly empty.
std::string string_field(const Poco::JSON::Object& object, const std::string& field);
// The field as a whole number >= 0.
std::int64_t count_field(const Poco::JSON::Object& object, const std::string& field);
// The field as a JSON object.
Poco::JSON::Object::Ptr object_field(const Poco::JSON::Object& object, const std::string& field);

// The object as compact JSON text.
std::string json_of(const Poco::JSON::Object& object);

}  // namespace visiongw::protocol
