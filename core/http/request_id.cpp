#include "http/request_id.h"

#include <cctype>

#include "jobs/random_uuid.h"

namespace visiongw::core {

std::string choose_request_id(const std::string& offered) {
    bool sane = !offered.empty() && offered.size() <= 128;
    for (char c : offered) {
        sane = sane && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
                        c == ':' || c == '-');
    }
    if (sane)
        return offered;
    return random_uuid();
}

}  // namespace visiongw::core
