#include "app/vision_service_check.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>

#include "ops/step_clock.h"

namespace visiongw::core {

Readiness::Check check_vision_service(const std::string& url) {
    auto start = std::chrono::steady_clock::now();
    try {
        Poco::URI uri(url);
        Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
        session.setTimeout(Poco::Timespan(2, 0));
        std::string path = uri.getPath();
        if (path.empty() || path.back() != '/')
            path += '/';
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path + "health",
                                       Poco::Net::HTTPMessage::HTTP_1_1);
        session.sendRequest(request);
        Poco::Net::HTTPResponse response;
        session.receiveResponse(response).ignore(1 << 20);
        bool ok = response.getStatus() < 300;
        return {"vision_service", ok, milliseconds_since(start),
                "GET " + path + "health answered " + std::to_string(response.getStatus())};
    } catch (const std::exception& e) {
        return {"vision_service", false, milliseconds_since(start), e.what()};
    }
}

}  // namespace visiongw::core
