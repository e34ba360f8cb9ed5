// The OpenAPI 3 document served at /openapi.json (core/app/openapi.json, compiled in).
#pragma once

#include <string_view>

namespace visiongw::core {

extern const std::string_view kOpenApiDocument;

}  // namespace visiongw::core
