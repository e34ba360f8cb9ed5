#include "ops/api_keys.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "files.h"
#include "visiongw/sdk/errors.h"

namespace visiongw::core {
namespace {

const std::string kAbcHash = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

// The message of the ConfigError that parsing `text` throws, or "" if it parses.
std::string parse_error(const std::string& text) {
    try {
        ApiKeyStore::parse(text, "keys.txt");
    } catch (const sdk::ConfigError& e) {
        return e.what();
    }
    return "";
}

TEST(ApiKeysTest, HashIsSha256Hex) {
    EXPECT_EQ(hash_api_key("abc"), kAbcHash);
    EXPECT_EQ(hash_api_key("").size(), 64u);
}

TEST(ApiKeysTest, ParsesAGoodFileAndFindsKeys) {
    const std::string text =
        "# gateway keys\n"
        "\n" +
        kAbcHash + " acme client\r\n" +
        "   \t\n"
        "  " +
        hash_api_key("ops-secret") +
        "\tops-team\tadmin\n"
        "# trailing comment";
    const ApiKeyStore store = ApiKeyStore::parse(text, "keys.txt");
    EXPECT_EQ(store.size(), 2u);

    const ApiKeyOwner* client = store.find("abc");
    ASSERT_NE(client, nullptr);
    EXPECT_EQ(client->tenant, "acme");
    EXPECT_EQ(client->role, Role::client);
    EXPECT_EQ(client->key_id, kAbcHash.substr(0, 12));

    const ApiKeyOwner* admin = store.find("ops-secret");
    ASSERT_NE(admin, nullptr);
    EXPECT_EQ(admin->tenant, "ops-team");
    EXPECT_EQ(admin->role, Role::admin);

    EXPECT_EQ(store.find("abd"), nullptr);
    EXPECT_EQ(store.find(""), nullptr);
    EXPECT_EQ(store.find(kAbcHash), nullptr) << "the hash itself is not a key";
}

TEST(ApiKeysTest, UppercaseHashesMatch) {
    std::string upper = kAbcHash;
    for (char& c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    EXPECT_NE(ApiKeyStore::parse(upper + " acme client\n", "keys.txt").find("abc"), nullptr);
}

TEST(ApiKeysTest, BadLinesNameFileLineAndReason) {
    EXPECT_EQ(parse_error("# c\nabc123 acme client\n"),
              "keys.txt:2: key hash must be 64 hex digits (SHA-256), found 6 characters");
    EXPECT_EQ(parse_error(std::string(63, 'a') + "g acme client\n"),
              "keys.txt:1: key hash must be 64 hex digits (SHA-256), found 'g'");
    EXPECT_EQ(parse_error(kAbcHash + " acme owner\n"),
              "keys.txt:1: unknown role \"owner\" (expected client or admin)");
    EXPECT_EQ(parse_error("\n\n" + kAbcHash + " admin\n"), "keys.txt:3: missing tenant");
    EXPECT_EQ(parse_error(kAbcHash + " acme\n"), "keys.txt:1: missing role");
    EXPECT_EQ(parse_error(kAbcHash + "\n"), "keys.txt:1: missing tenant and role");
    EXPECT_EQ(parse_error(kAbcHash + " acme client extra\n"),
              "keys.txt:1: unexpected text after the role: \"extra\"");
    EXPECT_EQ(parse_error(kAbcHash + " ac/me client\n"),
              "keys.txt:1: tenant \"ac/me\" must be 1 to 64 letters, digits, '.', '_' or '-'");
    EXPECT_EQ(parse_error(kAbcHash + " acme client\n" + kAbcHash + " other admin\n"),
              "keys.txt:2: key hash already listed on line 1");
    EXPECT_EQ(parse_error("# only comments\n\n"), "keys.txt: no keys");
}

TEST(ApiKeysTest, LoadsAFileAndNamesItInErrors) {
    testing::ScratchDir scratch;
    const std::filesystem::path dir = scratch.path();
    const auto good = dir / "good.keys";
    const auto bad = dir / "bad.keys";
    std::ofstream(good) << kAbcHash << " acme client\n";
    std::ofstream(bad) << kAbcHash << " acme root\n";

    EXPECT_NE(ApiKeyStore::load(good).find("abc"), nullptr);
    try {
        ApiKeyStore::load(bad);
        ADD_FAILURE() << "bad file accepted";
    } catch (const sdk::ConfigError& e) {
        EXPECT_EQ(std::string(e.what()),
                  bad.string() + ":1: unknown role \"root\" (expected client or admin)");
    }
    try {
        ApiKeyStore::load(dir / "missing.keys");
        ADD_FAILURE() << "missing file accepted";
    } catch (const sdk::ConfigError& e) {
        EXPECT_EQ(std::string(e.what()),
                  (dir / "missing.keys").string() + ": cannot read: No such file or directory");
    }
}

TEST(ApiKeysTest, ExtractsThePresentedKey) {
    EXPECT_EQ(presented_api_key("Bearer abc", ""), "abc");
    EXPECT_EQ(presented_api_key("  bearer   abc  ", ""), "abc");
    EXPECT_EQ(presented_api_key("BEARER\tabc", ""), "abc");
    EXPECT_EQ(presented_api_key("", " xyz "), "xyz");
    EXPECT_EQ(presented_api_key("Bearer abc", "xyz"), "abc");
    EXPECT_EQ(presented_api_key("Basic dXNlcjpwYXNz", "xyz"), "xyz");
    EXPECT_EQ(presented_api_key("Basic dXNlcjpwYXNz", ""), std::nullopt);
    EXPECT_EQ(presented_api_key("Bearer", ""), std::nullopt);
    EXPECT_EQ(presented_api_key("Bearer ", ""), std::nullopt);
    EXPECT_EQ(presented_api_key("Bearerabc", ""), std::nullopt);
    EXPECT_EQ(presented_api_key("Bearer a b", ""), std::nullopt);
    EXPECT_EQ(presented_api_key("", "   "), std::nullopt);
}

}  // namespace
}  // namespace visiongw::core
