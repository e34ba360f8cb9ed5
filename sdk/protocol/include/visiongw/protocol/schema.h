// The version of the wire protocol of sdk/PROTOCOL.md, and the error of a message that does
// not follow it.
#pragma once

#include <stdexcept>

namespace visiongw::protocol {

// The `schema_version` every message carries; a message with another one is refused.
inline constexpr int kSchemaVersion = 1;
// Job messages alone have a version 2: one that carries `file_url` (the image is in an object
// store). A job message without it stays version 1, which workers of before version 2 read.
inline constexpr int kJobMessageUrlVersion = 2;

// A message that does not follow sdk/PROTOCOL.md: not a JSON object, another schema_version, a
// missing or mistyped field. what() names the field and what was wrong. Every decode function
// of this module throws this and nothing else for bad input.
class MalformedMessage : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace visiongw::protocol
