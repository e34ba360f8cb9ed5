// Maps method + path to a handler; path patterns have literal segments and {name} segments.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "http/http_call.h"

namespace visiongw::core {

// Which rate-limit bucket and which role a route needs.
enum class RouteAccess { open, submit, read, admin };

// What a route reads as its body: an image upload is limited by the image size limit, and one
// announced over it is refused before it is read.
enum class RouteBody { none, image_upload };

struct Route {
    std::string method;
    std::string pattern;
    RouteAccess access = RouteAccess::open;
    std::function<void(HttpCall&)> handler;
    RouteBody body = RouteBody::none;
};

struct RouteMatch {
    const Route* route = nullptr;  // null: see allowed
    std::map<std::string, std::string> params;
    std::vector<std::string> allowed;  // methods of the path when the method did not match
};

// Immutable once the server runs; match() is thread-safe.
class Router {
public:
    void add(Route route);
    RouteMatch match(const std::string& method, const std::string& path) const;
    const std::vector<Route>& routes() const { return routes_; }

private:
    std::vector<Route> routes_;
};

}  // namespace visiongw::core
