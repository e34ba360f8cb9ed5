// The pieces of completion webhooks that need no network: which hosts and addresses a callback
// may name, the signature, the retry schedule and the tenant secrets file.
#include <gtest/gtest.h>

#include <fstream>

#include "config/startup_error.h"
#include "files.h"
#include "webhooks/callback_policy.h"
#include "webhooks/webhook_dispatcher.h"
#include "webhooks/webhook_signature.h"

namespace visiongw::core {
namespace {

using namespace std::chrono_literals;

bool is_public(const std::string& address) {
    return is_public_address(Poco::Net::IPAddress(address));
}

TEST(CallbackHostTest, AHostMatchesExactlyOrAsASubdomainOfAStarPattern) {
    const std::vector<std::string> allowed{"hooks.example.com", "*.partner.net"};
    EXPECT_TRUE(host_allowed("hooks.example.com", allowed));
    EXPECT_TRUE(host_allowed("a.partner.net", allowed));
    EXPECT_TRUE(host_allowed("a.b.partner.net", allowed));
    EXPECT_FALSE(host_allowed("partner.net", allowed));
    EXPECT_FALSE(host_allowed("evilpartner.net", allowed));
    EXPECT_FALSE(host_allowed("x.hooks.example.com", allowed));
    EXPECT_FALSE(host_allowed("hooks.example.com.evil.io", allowed));
    EXPECT_FALSE(host_allowed("anything", {}));
}

TEST(CallbackAddressTest, OnlyPublicUnicastAddressesArePublic) {
    for (const char* address : {"8.8.8.8", "93.184.216.34", "2606:4700:4700::1111"})
        EXPECT_TRUE(is_public(address)) << address;
    for (const char* address : {"0.0.0.0",
                                "127.0.0.1",
                                "127.1.2.3",
                                "10.1.2.3",
                                "172.16.0.1",
                                "172.31.255.255",
                                "192.168.1.1",
                                "169.254.169.254",
                                "100.64.0.1",
                                "224.0.0.1",
                                "255.255.255.255",
                                "192.0.2.1",
                                "::",
                                "::1",
                                "fe80::1",
                                "fc00::1",
                                "fd12:3456::1",
                                "ff02::1",
                                "::ffff:127.0.0.1",
                                "::ffff:10.0.0.1",
                                "2001:db8::1"})
        EXPECT_FALSE(is_public(address)) << address;
    EXPECT_TRUE(is_public("172.32.0.1"));
    EXPECT_TRUE(is_public("::ffff:8.8.8.8"));
}

std::string refusal(const CallbackPolicy& policy, const std::string& url) {
    try {
        policy.check(url);
    } catch (const CallbackRefused& e) {
        return e.what();
    }
    ADD_FAILURE() << url << " was accepted";
    return "";
}

TEST(CallbackPolicyTest, RefusesWhatIsNotAnAllowedHttpUrl) {
    const CallbackPolicy policy({"127.0.0.1", "localhost", "*.invalid"}, false);
    EXPECT_NE(refusal(policy, "ftp://127.0.0.1/x").find("http or https"), std::string::npos);
    EXPECT_NE(refusal(policy, "https://user:pw@127.0.0.1/x").find("user information"),
              std::string::npos);
    EXPECT_NE(refusal(policy, "https://evil.org/x").find("'evil.org' is not on"),
              std::string::npos);
    EXPECT_NE(refusal(policy, "not a url at all").find("http or https"), std::string::npos);
    EXPECT_NE(
        refusal(policy, "http://127.0.0.1/" + std::string(2048, 'a')).find("longer than 2048"),
        std::string::npos);
    EXPECT_NE(refusal(policy, "https://127.0.0.1:9/x").find("non-public address 127.0.0.1"),
              std::string::npos);
    EXPECT_NE(refusal(policy, "http://localhost/x").find("non-public address"), std::string::npos);
    EXPECT_NE(refusal(policy, "http://no-such-host.invalid/x").find("resolve"), std::string::npos);
    EXPECT_NE(refusal(CallbackPolicy({}, true), "https://127.0.0.1/").find("webhooks are off"),
              std::string::npos);
}

TEST(CallbackPolicyTest, WithPrivateAddressesAllowedALoopbackTargetKeepsItsParts) {
    const CallbackPolicy policy({"127.0.0.1"}, true);
    const WebhookTarget target = policy.check("http://127.0.0.1:8123/hooks/done?x=1");
    EXPECT_EQ(target.scheme, "http");
    EXPECT_EQ(target.host, "127.0.0.1");
    EXPECT_EQ(target.port, 8123);
    EXPECT_EQ(target.path_and_query, "/hooks/done?x=1");
    ASSERT_EQ(target.addresses.size(), 1u);
    EXPECT_EQ(target.addresses[0].toString(), "127.0.0.1");
    EXPECT_EQ(policy.check("https://127.0.0.1").path_and_query, "/");
    EXPECT_EQ(policy.check("https://127.0.0.1").port, 443);
}

TEST(WebhookSignatureTest, IsTheHexHmacSha256OfTimeDotBody) {
    // Computed independently: Python's hmac.new(secret, b"1764806400." + body, sha256).
    EXPECT_EQ(webhook_signature("whsec-0123456789abcdef", 1764806400, R"({"job_id":"j"})"),
              "t=1764806400,v1=e236ade07b9caa7f404d850b4ab1a82aee6d87f3c99ba67daeafe48a540c7d3f");
}

TEST(RetryScheduleTest, DoublesUpToTheMaximumAndGivesUpOnceTheWaitsExceedTheBound) {
    const RetrySchedule schedule{1000ms, 4000ms, 12000ms};
    EXPECT_EQ(schedule.delay_after(1), 1000ms);
    EXPECT_EQ(schedule.delay_after(2), 2000ms);
    EXPECT_EQ(schedule.delay_after(3), 4000ms);
    EXPECT_EQ(schedule.delay_after(4), 4000ms);  // 1 + 2 + 4 + 4 = 11 s
    EXPECT_EQ(schedule.delay_after(5), std::nullopt);
}

TEST(WebhookSecretsTest, ATenantsOwnSecretWinsOverTheGlobalOne) {
    testing::ScratchDir dir;
    const std::string file = dir.path() + "/secrets";
    std::ofstream(file) << "# tenant secret\n\nacme acme-secret-0123456789\n";
    const WebhookSecrets secrets = load_webhook_secrets("global-secret-0123456789", file);
    EXPECT_EQ(secrets.for_tenant("acme"), "acme-secret-0123456789");
    EXPECT_EQ(secrets.for_tenant("other"), "global-secret-0123456789");
    EXPECT_EQ(secrets.for_tenant(""), "global-secret-0123456789");
}

TEST(WebhookSecretsTest, ABadLineStopsStartUpNamingFileAndLine) {
    testing::ScratchDir dir;
    const std::string file = dir.path() + "/secrets";
    std::ofstream(file) << "acme acme-secret-0123456789\nshort tooshort\n";
    try {
        load_webhook_secrets("global-secret-0123456789", file);
        ADD_FAILURE() << "a 8-byte secret was accepted";
    } catch (const StartupError& e) {
        EXPECT_NE(std::string(e.what()).find(file + ":2: "), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace visiongw::core
