// The one HTTP handler of the gateway: gives each request its id and body, then runs it through
// the request pipeline (app/pipeline: routing, errors as JSON, metrics and the access log
// around every route handler, so no exception escapes unanswered).
#pragma once

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include "app/gateway.h"
#include "http/router.h"

namespace visiongw::core {

class GatewayRequestHandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
public:
    GatewayRequestHandlerFactory(Gateway& gateway, const Router& router)
        : gateway_(gateway), router_(router) {}
    // Notes an announced oversized upload here (see announces_oversized_upload), so a client
    // sending `Expect: 100-continue` gets the 413 before it sends a byte.
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest& request) override;

private:
    Gateway& gateway_;
    const Router& router_;
};

}  // namespace visiongw::core
