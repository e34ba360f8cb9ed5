// The request pipeline: the steps every request goes through, in their declared order.
#pragma once

#include "app/pipeline/request_context.h"

namespace visiongw::core {

// Runs every step of the pipeline on `context`.
void run_request_steps(RequestContext& context);

}  // namespace visiongw::core
