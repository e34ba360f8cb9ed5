// Sends a JSON answer, or the API's JSON error object, on an HTTP call.
#pragma once

#include <string>
#include <string_view>

#include "http/http_call.h"
#include "http/http_error.h"

namespace visiongw::core {

// Sends `body` as application/json with `status` and its standard reason phrase.
void send_json(HttpCall& call, int status, const std::string& body);
// The API's error object: {"error":{"code":…,"message":…,"request_id":…}}.
std::string error_json(std::string_view code, std::string_view message,
                       std::string_view request_id);
// Sends the API's error object for `error`.
void send_error(HttpCall& call, const HttpError& error);

}  // namespace visiongw::core
