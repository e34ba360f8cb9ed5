// The route table of the gateway: every endpoint of the API contract.
#pragma once

#include <span>

#include "app/gateway.h"
#include "http/router.h"

namespace visiongw::core {

// One route of the API: what the router matches, the access class it needs, its handler and
// what it reads as its body.
struct RouteEntry {
    const char* method;
    const char* pattern;
    RouteAccess access;
    void (*handler)(Gateway&, HttpCall&);
    RouteBody body = RouteBody::none;
};

// Every route of the gateway in match order; make_routes() binds them to a Gateway, and tests
// read them without one.
std::span<const RouteEntry> route_table();

Router make_routes(Gateway& gateway);

}  // namespace visiongw::core
