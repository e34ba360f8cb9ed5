// What the fuzz targets share: reading a fuzz input as a few choices followed by the bytes under
// test, and failing the run when an invariant does not hold.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace visiongw::fuzz {

// Aborts with `what` unless `holds`: libFuzzer keeps the input as a crasher, a replay test fails.
inline void require(bool holds, std::string_view what) {
    if (holds)
        return;
    std::fprintf(stderr, "fuzz invariant broken: %.*s\n", static_cast<int>(what.size()),
                 what.data());
    std::abort();
}

// A fuzz input read front to back: choices (a byte each, 0 once the input is used up), then
// what is left.
class FuzzInput {
public:
    FuzzInput(const std::uint8_t* data, std::size_t size)
        : bytes_(reinterpret_cast<const char*>(data), size) {}

    std::uint8_t choice() {
        if (bytes_.empty())
            return 0;
        const auto value = static_cast<std::uint8_t>(bytes_.front());
        bytes_.remove_prefix(1);
        return value;
    }

    // Up to `size` bytes.
    std::string_view take(std::size_t size) {
        const std::string_view taken = bytes_.substr(0, size);
        bytes_.remove_prefix(taken.size());
        return taken;
    }

    // Up to the first `separator` (dropped), or everything when there is none.
    std::string_view take_until(char separator) {
        const std::size_t at = bytes_.find(separator);
        const std::string_view taken = bytes_.substr(0, at);
        bytes_.remove_prefix(at == std::string_view::npos ? bytes_.size() : at + 1);
        return taken;
    }

    std::string_view rest() const { return bytes_; }

private:
    std::string_view bytes_;
};

}  // namespace visiongw::fuzz
