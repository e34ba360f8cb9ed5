// The route table of the gateway: every endpoint of the API contract.
#pragma once

#include <span>

#include "app/gateway.h"
#include "http/router.h"

namespace visiongw::core {

// One route of the API: what the router matches, the access class it needs, and its handler.
struct RouteEntry {
    const char* method;
    const char* pattern;
    RouteAccess access;
    void (*handler)(Gateway&, HttpCall&);
};

// Every route of the gateway in match order; make_routes() binds them to a Gateway, and tests
// read them without one.
std::span<const RouteEntry> route_table();

Router make_routes(Gateway& gateway);

}  // namespace visiongw::core
