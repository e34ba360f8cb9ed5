// Optional API keys: each key belongs to a tenant and has a role. Keys are kept only as their
// SHA-256, in a key file of lines `<sha256-hex> <tenant> <role>`, `#` comment lines and blank
// lines; `visiongw --hash-key KEY` prints a key's hash.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace visiongw::core {

// What a key may do: `client` uses the client API; `admin` may also use file stats and cleanup.
enum class Role { client, admin };

// Who presented a key. `key_id` is the first 12 hex digits of the key's hash: safe to log and to
// key rate limits on. The key itself is never kept.
struct ApiKeyOwner {
    std::string tenant;
    Role role = Role::client;
    std::string key_id;
};

// SHA-256 of the key as 64 lowercase hex digits: the first field of a key-file line.
std::string hash_api_key(std::string_view key);

// The key a request presents: the token of an `Authorization: Bearer <key>` value (scheme
// case-insensitive), else the trimmed `X-API-Key` value. Pass an empty view for an absent
// header. nullopt when neither carries a key (e.g. `Authorization: Basic …` and no X-API-Key).
std::optional<std::string_view> presented_api_key(std::string_view authorization,
                                                  std::string_view x_api_key);

// The keys allowed to call the gateway, loaded once at start-up. Read-only afterwards, so
// lookups are thread-safe. A lookup hashes the presented key and finds the hash in a hash map:
// no comparison ever touches the key itself.
class ApiKeyStore {
public:
    // Reads a key file. Throws sdk::ConfigError "<file>:<line>: <reason>" for a bad line,
    // "<file>: <reason>" for an unreadable file or one without keys.
    static ApiKeyStore load(const std::filesystem::path& file);
    // Parses key-file text; `source` names it in errors as `load` names the file.
    static ApiKeyStore parse(std::string_view text, std::string_view source);

    // The owner of the presented key, or nullptr for an unknown key. Valid while the store lives.
    const ApiKeyOwner* find(std::string_view presented_key) const;
    std::size_t size() const { return owners_.size(); }

private:
    std::unordered_map<std::string, ApiKeyOwner> owners_;
};

}  // namespace visiongw::core
