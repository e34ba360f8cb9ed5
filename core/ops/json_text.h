// JSON text appended to a string: the protocol module's writer, the one escaper of the project
// (logs, answers, job texts).
#pragma once

#include "visiongw/protocol/json_text.h"

namespace visiongw::core {

using protocol::append_json_number;
using protocol::append_json_string;
using protocol::json_quote;

}  // namespace visiongw::core
