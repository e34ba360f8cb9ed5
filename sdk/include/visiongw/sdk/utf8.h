// Well-formed UTF-8 as Unicode defines it (chapter 3, table 3-7): the one decoder of the
// gateway and its plugins, so that text is either taken as it is or refused, never altered.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace visiongw::sdk {

// The length of the well-formed UTF-8 sequence at the start of `text`, or 0 when it does not
// start with one: an empty text, a continuation byte, a lead byte C0, C1 or F5-FF, an overlong
// form, a surrogate (U+D800-U+DFFF), a code point above U+10FFFF or a cut sequence.
constexpr std::size_t utf8_sequence_length(std::string_view text) noexcept {
    if (text.empty())
        return 0;
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(0);
    if (lead < 0x80)
        return 1;
    std::size_t length = 0;
    unsigned char min_second = 0x80;
    unsigned char max_second = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        min_second = lead == 0xE0 ? 0xA0 : 0x80;
        max_second = lead == 0xED ? 0x9F : 0xBF;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        min_second = lead == 0xF0 ? 0x90 : 0x80;
        max_second = lead == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if (text.size() < length || byte(1) < min_second || byte(1) > max_second)
        return 0;
    for (std::size_t i = 2; i < length; ++i) {
        if (byte(i) < 0x80 || byte(i) > 0xBF)
            return 0;
    }
    return length;
}

// The offset of the first byte of `text` that does not begin a well-formed sequence, or
// nullopt when all of `text` is well-formed UTF-8.
constexpr std::optional<std::size_t> ill_formed_utf8_at(std::string_view text) noexcept {
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t length = utf8_sequence_length(text.substr(i));
        if (length == 0)
            return i;
        i += length;
    }
    return std::nullopt;
}

// The number of code points of `text`, or nullopt when it is not well-formed UTF-8.
constexpr std::optional<std::size_t> utf8_length(std::string_view text) noexcept {
    std::size_t count = 0;
    for (std::size_t i = 0; i < text.size(); ++count) {
        const std::size_t length = utf8_sequence_length(text.substr(i));
        if (length == 0)
            return std::nullopt;
        i += length;
    }
    return count;
}

}  // namespace visiongw::sdk
