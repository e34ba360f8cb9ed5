#include "visiongw/protocol/json_text.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "visiongw/sdk/utf8.h"

namespace visiongw::protocol {
namespace {

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

}  // namespace

void append_json_string(std::string& line, std::string_view text) {
    line += '"';
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            const std::size_t length = sdk::utf8_sequence_length(text.substr(i));
            line += length == 0 ? kReplacementCharacter : text.substr(i, length);
            i += length == 0 ? 1 : length;
            continue;
        }
        switch (c) {
            case '"':
                line += "\\\"";
                break;
            case '\\':
                line += "\\\\";
                break;
            case '\n':
                line += "\\n";
                break;
            case '\r':
                line += "\\r";
                break;
            case '\t':
                line += "\\t";
                break;
            case '\b':
                line += "\\b";
                break;
            case '\f':
                line += "\\f";
                break;
            default:
                if (c < 0x20) {
                    char escaped[8];
                    std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
                    line += escaped;
                } else {
                    line += static_cast<char>(c);
                }
        }
        ++i;
    }
    line += '"';
}

std::string json_quote(std::string_view text) {
    std::string quoted;
    append_json_string(quoted, text);
    return quoted;
}

void append_json_number(std::string& line, double value) {
    if (!std::isfinite(value)) {
        line += "null";
        return;
    }
    char number[32];
    auto end = std::to_chars(number, number + sizeof number, value).ptr;
    line.append(number, end);
}

}  // namespace visiongw::protocol
