#include "http/json_answer.h"

#include <Poco/Net/HTTPResponse.h>

#include "ops/json_text.h"

namespace visiongw::core {

void send_json(HttpCall& call, int status, const std::string& body) {
    auto& response = call.response;
    auto code = static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status);
    response.setStatusAndReason(code, Poco::Net::HTTPResponse::getReasonForStatus(code));
    response.setContentType("application/json");
    response.setContentLength(static_cast<std::streamsize>(body.size()));
    // Not sendBuffer(): it leaves the answer in a buffer until the handler returns, and an early
    // answer (a 413 found mid-upload) must reach the client before the unread body is drained.
    std::ostream& out = response.send();
    out.write(body.data(), static_cast<std::streamsize>(body.size()));
    out.flush();
}

std::string error_json(std::string_view code, std::string_view message,
                       std::string_view request_id) {
    return "{\"error\":{\"code\":" + json_quote(code) + ",\"message\":" + json_quote(message) +
           ",\"request_id\":" + json_quote(request_id) + "}}";
}

void send_error(HttpCall& call, const HttpError& error) {
    for (const auto& [name, value] : error.headers)
        call.response.set(name, value);
    send_json(call, error.status, error_json(error.code, error.what(), call.request_id));
}

}  // namespace visiongw::core
