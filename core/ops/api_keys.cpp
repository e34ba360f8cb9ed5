#include "ops/api_keys.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "visiongw/sdk/errors.h"

namespace visiongw::core {

namespace {

constexpr std::size_t kHashHexDigits = 64;
constexpr std::size_t kKeyIdDigits = 12;
constexpr std::size_t kMaxTenantLength = 64;
constexpr std::string_view kBlanks = " \t";

std::string_view trim(std::string_view text) {
    const auto first = text.find_first_not_of(kBlanks);
    if (first == std::string_view::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(kBlanks) - first + 1);
}

std::vector<std::string_view> split_fields(std::string_view line) {
    std::vector<std::string_view> fields;
    std::size_t start = line.find_first_not_of(kBlanks);
    while (start != std::string_view::npos) {
        const std::size_t end = line.find_first_of(kBlanks, start);
        fields.push_back(line.substr(start, end - start));
        start = line.find_first_not_of(kBlanks, end);
    }
    return fields;
}

std::optional<Role> parse_role(std::string_view text) {
    if (text == "client") {
        return Role::client;
    }
    if (text == "admin") {
        return Role::admin;
    }
    return std::nullopt;
}

bool is_tenant_character(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
}

// What one key-file line lists: the key's hash in lowercase and its owner.
struct ParsedLine {
    std::string hash;
    ApiKeyOwner owner;
};

// Reads the fields of a line that is neither blank nor a comment; throws std::invalid_argument
// with the reason the line is wrong.
ParsedLine parse_line(const std::vector<std::string_view>& fields) {
    std::string hash(fields[0]);
    if (hash.size() != kHashHexDigits) {
        throw std::invalid_argument("key hash must be 64 hex digits (SHA-256), found " +
                                    std::to_string(hash.size()) + " characters");
    }
    auto not_hex = std::find_if_not(hash.begin(), hash.end(), [](char c) {
        return std::isxdigit(static_cast<unsigned char>(c));
    });
    if (not_hex != hash.end()) {
        throw std::invalid_argument("key hash must be 64 hex digits (SHA-256), found '" +
                                    std::string(1, *not_hex) + "'");
    }
    std::transform(hash.begin(), hash.end(), hash.begin(), [](char c) {
        return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    });
    if (fields.size() == 1) {
        throw std::invalid_argument("missing tenant and role");
    }
    if (fields.size() == 2) {
        throw std::invalid_argument(parse_role(fields[1]) ? "missing tenant" : "missing role");
    }
    if (fields.size() > 3) {
        throw std::invalid_argument("unexpected text after the role: \"" + std::string(fields[3]) +
                                    "\"");
    }
    const std::string_view tenant = fields[1];
    if (tenant.size() > kMaxTenantLength ||
        !std::all_of(tenant.begin(), tenant.end(), is_tenant_character)) {
        throw std::invalid_argument("tenant \"" + std::string(tenant) +
                                    "\" must be 1 to 64 letters, digits, '.', '_' or '-'");
    }
    const auto role = parse_role(fields[2]);
    if (!role) {
        throw std::invalid_argument("unknown role \"" + std::string(fields[2]) +
                                    "\" (expected client or admin)");
    }
    return {hash, ApiKeyOwner{std::string(tenant), *role, hash.substr(0, kKeyIdDigits)}};
}

}  // namespace

std::string hash_api_key(std::string_view key) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(key.data(), key.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("SHA-256 of the API key failed");
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < length; ++i) {
        hex += kHex[digest[i] >> 4];
        hex += kHex[digest[i] & 0x0f];
    }
    return hex;
}

std::optional<std::string_view> presented_api_key(std::string_view authorization,
                                                  std::string_view x_api_key) {
    constexpr std::string_view kBearer = "bearer";
    authorization = trim(authorization);
    const bool bearer = authorization.size() > kBearer.size() &&
                        std::equal(kBearer.begin(), kBearer.end(), authorization.begin(),
                                   [](char a, char b) {
                                       return a == std::tolower(static_cast<unsigned char>(b));
                                   }) &&
                        kBlanks.find(authorization[kBearer.size()]) != std::string_view::npos;
    if (bearer) {
        const std::string_view token = trim(authorization.substr(kBearer.size()));
        if (!token.empty() && token.find_first_of(kBlanks) == std::string_view::npos) {
            return token;
        }
    }
    x_api_key = trim(x_api_key);
    if (!x_api_key.empty()) {
        return x_api_key;
    }
    return std::nullopt;
}

ApiKeyStore ApiKeyStore::load(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        throw sdk::ConfigError(file.string() + ": cannot read: " + std::strerror(errno));
    }
    std::ostringstream text;
    text << in.rdbuf();
    return parse(text.str(), file.string());
}

ApiKeyStore ApiKeyStore::parse(std::string_view text, std::string_view source) {
    ApiKeyStore store;
    std::unordered_map<std::string, std::size_t> hash_lines;
    std::size_t line_number = 0;
    while (!text.empty()) {
        ++line_number;
        const std::size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
        if (line.ends_with('\r')) {
            line.remove_suffix(1);
        }
        const auto fields = split_fields(line);
        if (fields.empty() || fields[0].starts_with('#')) {
            continue;
        }
        const auto where = std::string(source) + ":" + std::to_string(line_number) + ": ";
        try {
            ParsedLine parsed = parse_line(fields);
            auto [known, fresh] = hash_lines.emplace(parsed.hash, line_number);
            if (!fresh) {
                throw std::invalid_argument("key hash already listed on line " +
                                            std::to_string(known->second));
            }
            store.owners_.emplace(std::move(parsed.hash), std::move(parsed.owner));
        } catch (const std::invalid_argument& e) {
            throw sdk::ConfigError(where + e.what());
        }
    }
    if (store.owners_.empty()) {
        throw sdk::ConfigError(std::string(source) + ": no keys");
    }
    return store;
}

const ApiKeyOwner* ApiKeyStore::find(std::string_view presented_key) const {
    auto it = owners_.find(hash_api_key(presented_key));
    return it == owners_.end() ? nullptr : &it->second;
}

}  // namespace visiongw::core
