// Unpredictable identifiers: job ids are capabilities (whoever knows one may read its result
// when auth is off), so they come from OpenSSL's CSPRNG, without a file or syscall per id.
#pragma once

#include <string>

namespace visiongw::core {

// A random (version 4) UUID in lower-case canonical form; throws std::runtime_error if OpenSSL
// cannot produce random bytes.
std::string random_uuid();

}  // namespace visiongw::core
