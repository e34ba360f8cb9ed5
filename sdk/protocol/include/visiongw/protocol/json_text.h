// JSON text appended to a string: the writer of the job message, and the one escaper of the
// project (the gateway's logs and answers use it too).
#pragma once

#include <string>
#include <string_view>

namespace visiongw::protocol {

// Appends `text` as a JSON string literal. Bytes that are not well-formed UTF-8 become U+FFFD,
// so client text (a filename, a path) can never make the document invalid.
void append_json_string(std::string& line, std::string_view text);

// JSON string literal of `text` (quoted and escaped as append_json_string does).
std::string json_quote(std::string_view text);

// Appends the shortest number that reads back as the same double; null if it is not finite.
void append_json_number(std::string& line, double value);

}  // namespace visiongw::protocol
