// The readiness check of the vision service the workers call: an HTTP GET of its health.
#pragma once

#include <string>

#include "app/readiness.h"

namespace visiongw::core {

// GET <url>/health with a short timeout; the vision service is ready when it answers 2xx.
Readiness::Check check_vision_service(const std::string& url);

}  // namespace visiongw::core
