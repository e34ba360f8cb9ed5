#include "visiongw/protocol/trace_context.h"

#include <openssl/rand.h>

#include <algorithm>
#include <set>
#include <stdexcept>

namespace visiongw::protocol {
namespace {

constexpr std::size_t kVersion00Length = 55;  // 2 + 1 + 32 + 1 + 16 + 1 + 2
constexpr std::size_t kMaxMembers = 32;

bool is_lower_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool is_lower_hex(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return is_lower_hex(c); });
}

bool all_zero(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return c == '0'; });
}

std::string_view trimmed(std::string_view text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos)
        return {};
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

bool is_lcalpha(char c) {
    return c >= 'a' && c <= 'z';
}

bool is_key_char(char c) {
    return is_lcalpha(c) || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '*' || c == '/';
}

// `first` then up to `max_length - 1` key characters.
bool is_key_part(std::string_view part, std::size_t max_length, bool (*first)(char)) {
    return !part.empty() && part.size() <= max_length && first(part.front()) &&
           std::all_of(part.begin() + 1, part.end(), is_key_char);
}

bool is_tracestate_key(std::string_view key) {
    const auto at = key.find('@');
    if (at == std::string_view::npos)
        return is_key_part(key, 256, is_lcalpha);
    const auto is_tenant_start = [](char c) { return is_lcalpha(c) || (c >= '0' && c <= '9'); };
    return is_key_part(key.substr(0, at), 241, is_tenant_start) &&
           is_key_part(key.substr(at + 1), 14, is_lcalpha);
}

bool is_tracestate_value(std::string_view value) {
    return !value.empty() && value.size() <= 256 && value.back() != ' ' &&
           std::all_of(value.begin(), value.end(),
                       [](char c) { return c >= 0x20 && c <= 0x7E && c != ',' && c != '='; });
}

std::string random_hex(std::size_t bytes) {
    unsigned char random[16];
    std::string text;
    do {
        if (RAND_bytes(random, static_cast<int>(bytes)) != 1)
            throw std::runtime_error("OpenSSL RAND_bytes failed: no random bytes for a trace id");
        static constexpr char kHex[] = "0123456789abcdef";
        text.clear();
        for (std::size_t i = 0; i < bytes; ++i) {
            text += kHex[random[i] >> 4];
            text += kHex[random[i] & 0x0F];
        }
    } while (all_zero(text));  // all zero is the spec's invalid id
    return text;
}

}  // namespace

std::string TraceParent::header() const {
    return "00-" + trace_id + "-" + span_id + "-" + flags;
}

std::optional<TraceParent> parse_traceparent(std::string_view value) {
    value = trimmed(value);
    if (value.size() < kVersion00Length)
        return std::nullopt;
    const std::string_view version = value.substr(0, 2);
    if (!is_lower_hex(version) || version == "ff")
        return std::nullopt;
    if (version == "00" ? value.size() != kVersion00Length
                        : value.size() > kVersion00Length && value[kVersion00Length] != '-')
        return std::nullopt;
    if (value[2] != '-' || value[35] != '-' || value[52] != '-')
        return std::nullopt;
    TraceParent parent{std::string(value.substr(3, 32)), std::string(value.substr(36, 16)),
                       std::string(value.substr(53, 2))};
    if (!is_lower_hex(parent.trace_id) || all_zero(parent.trace_id) ||
        !is_lower_hex(parent.span_id) || all_zero(parent.span_id) || !is_lower_hex(parent.flags))
        return std::nullopt;
    return parent;
}

std::optional<std::string> parse_tracestate(std::span<const std::string> values) {
    std::string joined;
    std::set<std::string_view, std::less<>> keys;
    for (const std::string& value : values) {
        std::string_view rest = value;
        while (true) {
            const auto comma = rest.find(',');
            const std::string_view member = trimmed(rest.substr(0, comma));
            if (!member.empty()) {
                const auto equals = member.find('=');
                if (equals == std::string_view::npos)
                    return std::nullopt;
                const std::string_view key = member.substr(0, equals);
                if (!is_tracestate_key(key) || !is_tracestate_value(member.substr(equals + 1)) ||
                    !keys.insert(key).second || keys.size() > kMaxMembers)
                    return std::nullopt;
                if (!joined.empty())
                    joined += ',';
                joined += member;
            }
            if (comma == std::string_view::npos)
                break;
            rest.remove_prefix(comma + 1);
        }
    }
    return joined;
}

std::string random_trace_id() {
    return random_hex(16);
}

std::string random_span_id() {
    return random_hex(8);
}

TraceContext continue_trace(std::span<const std::string> traceparent_values,
                            std::span<const std::string> tracestate_values) {
    std::optional<TraceParent> caller;
    if (traceparent_values.size() == 1)
        caller = parse_traceparent(traceparent_values.front());
    if (!caller)
        return TraceContext{{random_trace_id(), random_span_id(), "01"}, "", ""};
    return TraceContext{{caller->trace_id, random_span_id(), caller->flags},
                        caller->span_id,
                        parse_tracestate(tracestate_values).value_or("")};
}

TraceContext continue_trace(const std::string& traceparent, const std::string& tracestate) {
    const std::span<const std::string> no_values;
    return continue_trace(traceparent.empty() ? no_values : std::span(&traceparent, 1),
                          tracestate.empty() ? no_values : std::span(&tracestate, 1));
}

}  // namespace visiongw::protocol
