// One request and its answer as route handlers see them, and the errors they throw.
#pragma once

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <chrono>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace visiongw::core {

// Who is calling: set by the auth step; empty tenant when auth is off.
struct Identity {
    std::string tenant;
    std::string role;  // "client" or "admin"; "admin" when auth is off
    std::string key_id;
};

// Milliseconds a request spent in each named step, in order, for the access log.
using StepTimes = std::vector<std::pair<std::string_view, double>>;

// The steps of a submit, in order, as the access log names them; an accepted submit's steps
// are also observed in visiongw_submit_step_duration_seconds{step="upload"|...}.
struct SubmitStep {
    static constexpr std::string_view upload = "upload_ms";    // body read, hashed, written
    static constexpr std::string_view commit = "commit_ms";    // image stored (with its lock)
    static constexpr std::string_view record = "record_ms";    // job record written
    static constexpr std::string_view publish = "publish_ms";  // message confirmed (or given up)
};

// Appends to StepTimes the time since the previous mark (or since construction) under a name.
class StepClock {
public:
    explicit StepClock(StepTimes& steps) : steps_(steps), last_(std::chrono::steady_clock::now()) {}
    // Returns the step's milliseconds.
    double mark(std::string_view step) {
        const auto now = std::chrono::steady_clock::now();
        const double ms = std::chrono::duration<double, std::milli>(now - last_).count();
        steps_.emplace_back(step, ms);
        last_ = now;
        return ms;
    }

private:
    StepTimes& steps_;
    std::chrono::steady_clock::time_point last_;
};

struct Exchange {
    Poco::Net::HTTPServerRequest& request;
    Poco::Net::HTTPServerResponse& response;
    std::istream& body;  // the request body (see RequestBody); not request.stream()
    std::string request_id;
    std::string route;  // the route pattern, e.g. /api/v1/vision/jobs/{job_id}
    std::map<std::string, std::string> path_params;
    Identity identity;
    std::string job_id;         // for the access log, once known
    bool body_consumed = true;  // false while a request body may be unread
    StepTimes step_ms;          // for the access log: where a submit spent its time
};

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

// Sends `body` as application/json with `status` and its standard reason phrase.
void send_json(Exchange& exchange, int status, const std::string& body);
// Sends the API's error object for `error`.
void send_error(Exchange& exchange, const HttpError& error);
// JSON string literal of `text` (quoted and escaped).
std::string json_quote(std::string_view text);

}  // namespace visiongw::core
