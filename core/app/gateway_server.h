// Serving: the gateway's plugins, job service and HTTP server from start-up to a graceful stop.
#pragma once

#include <functional>
#include <string>

namespace visiongw::core {

// Loads `config_path`, starts the plugins and the HTTP server, serves until
// `wait_for_termination` returns, then stops taking connections, lets open requests finish
// within the grace period and stops everything. Returns the process's exit status.
int serve_gateway(const std::string& config_path,
                  const std::function<void()>& wait_for_termination);

}  // namespace visiongw::core
