// An HTTP answer other than success, as the API's JSON error shows it.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace visiongw::core {

// An answer other than success, thrown by handlers and answered by the gateway handler as
// the API's JSON error. `headers` are added to the answer (Allow, Retry-After, ...).
class HttpError : public std::runtime_error {
public:
    HttpError(int status, std::string code, std::string message,
              std::vector<std::pair<std::string, std::string>> headers = {})
        : std::runtime_error(message),
          status(status),
          code(std::move(code)),
          headers(std::move(headers)) {}

    int status;
    std::string code;
    std::vector<std::pair<std::string, std::string>> headers;
};

}  // namespace visiongw::core
