// Reading JSON answers, log lines and messages in tests.
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <string>

namespace visiongw::testing {

// `json` parsed; throws (Poco::Exception or Poco::BadCastException) when it is not one object.
inline Poco::JSON::Object::Ptr parse_object(const std::string& json) {
    return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
}

}  // namespace visiongw::testing
