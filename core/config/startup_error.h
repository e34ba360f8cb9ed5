// The one-line reason start-up (or --check-config) stops: names the file, section, key or
// plugin library and what is wrong.
#pragma once

#include <stdexcept>

namespace visiongw::core {

class StartupError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace visiongw::core
