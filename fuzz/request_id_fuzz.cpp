// Fuzzes the choice of a request's id from its X-Request-ID header: the client's own when it is
// 1–128 characters of [A-Za-z0-9._:-], else a new UUID; either way an id that is safe to echo in
// a header, a log line and a queued message.
#include <string>

#include "fuzz_support.h"
#include "http/request_id.h"

namespace {

using visiongw::fuzz::require;

bool is_sane_id(std::string_view id) {
    if (id.empty() || id.size() > 128)
        return false;
    for (char c : id) {
        const bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                             (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' || c == '-';
        if (!allowed)
            return false;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string offered(reinterpret_cast<const char*>(data), size);
    const std::string chosen = visiongw::core::choose_request_id(offered);
    require(is_sane_id(chosen), "the chosen request id is not sane");
    if (is_sane_id(offered))
        require(chosen == offered, "a sane client id was replaced");
    else
        require(chosen.size() == 36 && chosen[8] == '-',
                "an insane client id was not replaced by a UUID");
    return 0;
}
