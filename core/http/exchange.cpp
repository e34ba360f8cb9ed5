#include "http/exchange.h"

#include <Poco/Net/HTTPResponse.h>

#include "ops/json_text.h"

namespace visiongw::core {

std::string json_quote(std::string_view text) {
    std::string quoted;
    append_json_string(quoted, text);
    return quoted;
}

void send_json(Exchange& exchange, int status, const std::string& body) {
    auto& response = exchange.response;
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

void send_error(Exchange& exchange, const HttpError& error) {
    for (const auto& [name, value] : error.headers)
        exchange.response.set(name, value);
    send_json(exchange, error.status,
              "{\"error\":{\"code\":" + json_quote(error.code) +
                  ",\"message\":" + json_quote(error.what()) +
                  ",\"request_id\":" + json_quote(exchange.request_id) + "}}");
}

}  // namespace visiongw::core
