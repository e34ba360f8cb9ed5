#include "json_object.h"

#include <Poco/JSON/Parser.h>

#include <limits>
#include <sstream>

namespace visiongw::protocol {

Poco::JSON::Object::Ptr parse_message(std::string_view body, int newest) {
    Poco::JSON::Object::Ptr message;
    try {
        Poco::Dynamic::Var parsed = Poco::JSON::Parser().parse(std::string(body));
        if (parsed.type() != typeid(Poco::JSON::Object::Ptr))
            throw MalformedMessage("the message is not a JSON object");
        message = parsed.extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception& e) {
        throw MalformedMessage("the message is not a JSON object: " + e.displayText());
    }
    Poco::Dynamic::Var version = message->get("schema_version");
    if (version.isEmpty())
        throw MalformedMessage("schema_version is missing");
    std::string expected = std::to_string(kSchemaVersion);
    for (int later = kSchemaVersion + 1; later <= newest; ++later)
        expected += (later == newest ? " or " : ", ") + std::to_string(later);
    if (!version.isInteger())
        throw MalformedMessage("schema_version must be the whole number " + expected);
    const auto number = version.convert<long long>();
    if (number < kSchemaVersion || number > newest)
        throw MalformedMessage("schema_version must be " + expected + ", not " +
                               version.toString());
    return message;
}

std::string string_field(const Poco::JSON::Object& object, const std::string& field) {
    Poco::Dynamic::Var value = object.get(field);
    if (!value.isString())
        throw MalformedMessage(field + (value.isEmpty() ? " is missing" : " must be a string"));
    return value.extract<std::string>();
}

std::string required_string(const Poco::JSON::Object& object, const std::string& field) {
    std::string value = string_field(object, field);
    if (value.empty())
        throw MalformedMessage(field + " must not be empty");
    return value;
}

std::int64_t count_field(const Poco::JSON::Object& object, const std::string& field) {
    Poco::Dynamic::Var value = object.get(field);
    if (!value.isInteger()) {
        throw MalformedMessage(field +
                               (value.isEmpty() ? " is missing" : " must be a whole number"));
    }
    // A negative number parses as a signed integer, a large one as unsigned.
    if (value.isSigned() ? value.convert<std::int64_t>() < 0
                         : value.convert<std::uint64_t>() >
                               std::uint64_t(std::numeric_limits<std::int64_t>::max())) {
        throw MalformedMessage(field + " must be a whole number from 0 to 2^63-1, not " +
                               value.toString());
    }
    return value.convert<std::int64_t>();
}

Poco::JSON::Object::Ptr object_field(const Poco::JSON::Object& object, const std::string& field) {
    if (!object.has(field))
        throw MalformedMessage(field + " is missing");
    Poco::JSON::Object::Ptr value = object.getObject(field);
    if (value.isNull())
        throw MalformedMessage(field + " must be a JSON object");
    return value;
}

std::string json_of(const Poco::JSON::Object& object) {
    std::ostringstream text;
    object.stringify(text);
    return text.str();
}

}  // namespace visiongw::protocol
