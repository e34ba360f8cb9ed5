// A client of GET /api/v1/vision/jobs/{id}/events that reads the Server-Sent Events of the
// chunked body one at a time, as they arrive.
#pragma once

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPResponse.h>

#include <chrono>
#include <istream>
#include <optional>
#include <string>
#include <vector>

namespace visiongw::testing {

struct ServerEvent {
    std::string name;  // the `event:` field
    std::string id;    // the `id:` field
    std::string data;  // the `data:` lines, joined by '\n'
};

class EventStream {
public:
    // Sends the request (with Last-Event-ID when `last_event_id` is not empty) and reads the
    // response head; a read waits at most `timeout` (Poco::TimeoutException past it).
    EventStream(int port, const std::string& path, const std::string& last_event_id = "",
                std::chrono::seconds timeout = std::chrono::seconds(30));

    int status() const { return static_cast<int>(response_.getStatus()); }
    const Poco::Net::HTTPResponse& response() const { return response_; }
    // The next event, skipping comment lines; nullopt once the server closed the stream.
    std::optional<ServerEvent> next();
    // Every further event until the server closes the stream.
    std::vector<ServerEvent> rest();
    // The rest of the body as it is (for answers that are not a stream).
    std::string body();

private:
    Poco::Net::HTTPClientSession session_;
    Poco::Net::HTTPResponse response_;
    std::istream* body_ = nullptr;
};

}  // namespace visiongw::testing
