#include "app/request_handler.h"

#include <pthread.h>

#include <Poco/URI.h>

#include <cctype>
#include <chrono>

#include "app/pipeline/request_pipeline.h"
#include "app/pipeline/request_steps.h"
#include "http/connection_guard.h"
#include "http/request_body.h"
#include "http/request_id.h"
#include "http/trace_headers.h"

namespace visiongw::core {
namespace {

// Takes a request through the request pipeline.
class GatewayRequestHandler : public Poco::Net::HTTPRequestHandler {
public:
    GatewayRequestHandler(Gateway& gateway, const Router& router, bool announced_too_large)
        : gateway_(gateway), router_(router), announced_too_large_(announced_too_large) {}

    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
        auto start = std::chrono::steady_clock::now();
        RequestBody body(request);
        HttpCall call{request,
                      response,
                      body.stream(),
                      choose_request_id(request.get("X-Request-ID", "")),
                      trace_of(request),
                      "",
                      {},
                      {},
                      "",
                      false,
                      {}};
        response.set("X-Request-ID", call.request_id);
        response.set("traceresponse", call.trace.traceparent());
        RequestContext context{
            gateway_, router_, call, Poco::URI(request.getURI()).getPath(), announced_too_large_,
            start};
        run_request_steps(context);
    }

private:
    Gateway& gateway_;
    const Router& router_;
    bool announced_too_large_;
};

}  // namespace

Poco::Net::HTTPRequestHandler* GatewayRequestHandlerFactory::createRequestHandler(
    const Poco::Net::HTTPServerRequest& request) {
    const bool announced_too_large =
        announces_oversized_upload(request, router_, gateway_.settings.max_file_size);
    if (announced_too_large && request.getExpectContinue()) {
        // Any status but 200 keeps Poco from sending "100 Continue".
        request.response().setStatus(Poco::Net::HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE);
    }
    // Poco's pooled connection threads are named once, as top -H and perf show them.
    thread_local const bool named = pthread_setname_np(pthread_self(), "vgw-http") == 0;
    static_cast<void>(named);
    return new GatewayRequestHandler(gateway_, router_, announced_too_large);
}

}  // namespace visiongw::core
