// The id of a request: the client's own X-Request-ID when it is safe to echo in a header, a log
// line and a queued message, else a new one.
#pragma once

#include <string>

namespace visiongw::core {

// The client's X-Request-ID when it is sane (1–128 characters of [A-Za-z0-9._:-]), else a new
// random UUID.
std::string choose_request_id(const std::string& offered);

}  // namespace visiongw::core
