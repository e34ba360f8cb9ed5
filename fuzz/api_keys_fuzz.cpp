// Fuzzes API-key handling: the key a request presents in its Authorization and X-API-Key
// headers, and the key file. A presented key is a non-empty, trimmed piece of one header; a key
// file either loads or is refused with a ConfigError; a key listed by its hash is found again.
#include <string>

#include "fuzz_support.h"
#include "ops/api_keys.h"
#include "visiongw/sdk/errors.h"

namespace {

using visiongw::core::ApiKeyOwner;
using visiongw::core::ApiKeyStore;
using visiongw::core::hash_api_key;
using visiongw::core::presented_api_key;
using visiongw::core::Role;
using visiongw::fuzz::FuzzInput;
using visiongw::fuzz::require;

bool within(std::string_view part, std::string_view whole) {
    return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzInput input(data, size);
    const std::string_view authorization = input.take_until('\n');
    const std::string_view x_api_key = input.take_until('\n');
    const std::string_view key_file = input.rest();

    const auto key = presented_api_key(authorization, x_api_key);
    if (key) {
        require(!key->empty(), "an empty key was presented");
        require(!is_blank(key->front()) && !is_blank(key->back()), "a key kept its blanks");
        require(within(*key, authorization) || within(*key, x_api_key),
                "the key is not a piece of a header");
        if (within(*key, x_api_key)) {
            require(*key == x_api_key.substr(x_api_key.find_first_not_of(" \t"), key->size()),
                    "X-API-Key was not trimmed to its key");
        }
    }

    try {
        const ApiKeyStore store = ApiKeyStore::parse(key_file, "keys");
        require(store.size() > 0, "a key file without keys loaded");
        if (key)
            static_cast<void>(store.find(*key));
    } catch (const visiongw::sdk::ConfigError& e) {
        require(std::string_view(e.what()).starts_with("keys"), "the error does not name the file");
    }

    const std::string listed_key = key ? std::string(*key) : std::string(key_file);
    const ApiKeyStore one =
        ApiKeyStore::parse(hash_api_key(listed_key) + " tenant-1 admin", "keys");
    const ApiKeyOwner* owner = one.find(listed_key);
    require(owner != nullptr && owner->tenant == "tenant-1" && owner->role == Role::admin,
            "a listed key was not found");
    return 0;
}
