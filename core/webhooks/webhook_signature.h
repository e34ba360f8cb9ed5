// The signature of a webhook delivery, so a receiver can verify its sender and refuse replays.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace visiongw::core {

// The X-Visiongw-Signature value of `body` sent at `unix_time`:
// "t=<unix_time>,v1=<lowercase hex HMAC-SHA256 with `secret` of "<unix_time>.<body>">".
std::string webhook_signature(std::string_view secret, std::int64_t unix_time,
                              std::string_view body);

}  // namespace visiongw::core
