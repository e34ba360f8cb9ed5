// The route table of the gateway: every endpoint of the API contract.
#pragma once

#include "app/gateway.h"
#include "http/router.h"

namespace visiongw::core {

Router make_routes(Gateway& gateway);

}  // namespace visiongw::core
