// Who is calling, as the access-control step identified it and the job use cases see it.
#pragma once

#include <string>

namespace visiongw::core {

// Who is calling: set by the auth step; empty tenant when auth is off.
struct Identity {
    std::string tenant;
    std::string role;  // "client" or "admin"; "admin" when auth is off
    std::string key_id;
};

}  // namespace visiongw::core
