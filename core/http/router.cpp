#include "http/router.h"

#include <algorithm>

namespace visiongw::core {
namespace {

std::vector<std::string> segments(const std::string& path) {
    std::vector<std::string> parts;
    std::size_t start = 1;
    while (start <= path.size()) {
        std::size_t end = path.find('/', start);
        if (end == std::string::npos)
            end = path.size();
        parts.push_back(path.substr(start, end - start));
        start = end + 1;
    }
    return parts;
}

bool matches(const std::string& pattern, const std::string& path,
             std::map<std::string, std::string>& params) {
    auto want = segments(pattern);
    auto have = segments(path);
    if (want.size() != have.size())
        return false;
    std::map<std::string, std::string> found;
    for (std::size_t i = 0; i < want.size(); ++i) {
        const std::string& w = want[i];
        if (w.size() > 2 && w.front() == '{' && w.back() == '}') {
            if (have[i].empty())
                return false;
            found[w.substr(1, w.size() - 2)] = have[i];
        } else if (w != have[i]) {
            return false;
        }
    }
    params = std::move(found);
    return true;
}

}  // namespace

void Router::add(Route route) {
    routes_.push_back(std::move(route));
}

RouteMatch Router::match(const std::string& method, const std::string& path) const {
    RouteMatch result;
    if (path.empty() || path.front() != '/')
        return result;
    for (const auto& route : routes_) {
        std::map<std::string, std::string> params;
        if (!matches(route.pattern, path, params))
            continue;
        if (route.method == method) {
            result.route = &route;
            result.params = std::move(params);
            return result;
        }
        if (std::find(result.allowed.begin(), result.allowed.end(), route.method) ==
            result.allowed.end()) {
            result.allowed.push_back(route.method);
        }
    }
    return result;
}

}  // namespace visiongw::core
