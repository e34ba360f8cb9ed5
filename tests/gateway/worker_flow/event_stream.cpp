#include "event_stream.h"

#include <Poco/Net/HTTPRequest.h>

#include <sstream>

namespace visiongw::testing {

EventStream::EventStream(int port, const std::string& path, const std::string& last_event_id,
                         std::chrono::seconds timeout)
    : session_("127.0.0.1", static_cast<Poco::UInt16>(port)) {
    session_.setTimeout(Poco::Timespan(static_cast<long>(timeout.count()), 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Accept", "text/event-stream");
    if (!last_event_id.empty())
        request.set("Last-Event-ID", last_event_id);
    session_.sendRequest(request);
    body_ = &session_.receiveResponse(response_);
}

std::optional<ServerEvent> EventStream::next() {
    ServerEvent event;
    bool started = false;
    for (std::string line; std::getline(*body_, line);) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.empty()) {
            if (started)
                return event;
            continue;
        }
        if (line.front() == ':')
            continue;
        started = true;
        const auto colon = line.find(':');
        const std::string field = line.substr(0, colon);
        std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ')
            value.erase(0, 1);
        if (field == "event") {
            event.name = value;
        } else if (field == "id") {
            event.id = value;
        } else if (field == "data") {
            event.data += (event.data.empty() ? "" : "\n") + value;
        }
    }
    return std::nullopt;
}

std::vector<ServerEvent> EventStream::rest() {
    std::vector<ServerEvent> events;
    while (auto event = next())
        events.push_back(std::move(*event));
    return events;
}

std::string EventStream::body() {
    std::ostringstream text;
    text << body_->rdbuf();
    return text.str();
}

}  // namespace visiongw::testing
