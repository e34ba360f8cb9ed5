// The gateway's own sections read through their option tables (core/config/gateway_settings.cpp).
#include <gtest/gtest.h>

#include "config/gateway_settings.h"
#include "config/ini_document.h"
#include "core_testing.h"

namespace visiongw::testing {
namespace {

using core::IniDocument;

TEST(OptionChoicesTest, TheGatewaysLogLevelIsOneOfFour) {
    IniDocument document = IniDocument::parse("[log]\nlevel = verbose\n", "gw.ini");
    EXPECT_EQ(startup_error_of([&] { core::read_gateway_settings(document, "/opt/vgw/bin"); }),
              "gw.ini: [log] level: must be debug, info, warning or error, got 'verbose'");
}

TEST(GatewaySettingsTest, ListenFromTheEnvironmentWinsOverTheFile) {
    IniDocument document = IniDocument::parse("[gateway]\nlisten = 127.0.0.1:8080\n", "gw.ini",
                                              {{"VISIONGW_LISTEN", "0.0.0.0:9099"}});
    core::GatewaySettings settings = core::read_gateway_settings(document, "/opt/vgw/bin");
    EXPECT_EQ(settings.listen_host, "0.0.0.0");
    EXPECT_EQ(settings.listen_port, 9099);
    EXPECT_EQ(settings.plugin_dir, "/opt/vgw/lib/visiongw/plugins");
}

TEST(GatewaySettingsTest, ValidatesAnOverrideLikeAFileValue) {
    IniDocument document = IniDocument::parse("[gateway]\nlisten = 127.0.0.1:8080\n", "gw.ini",
                                              {{"VISIONGW_LISTEN", "nowhere"}});
    EXPECT_EQ(startup_error_of([&] { core::read_gateway_settings(document, "/opt/vgw/bin"); }),
              "gw.ini: [gateway] listen: must be host:port, got 'nowhere'");
}

TEST(GatewaySettingsTest, RefusesAnOutOfRangeCoreValue) {
    IniDocument document = IniDocument::parse("[gateway]\nthreads = 1\n", "gw.ini");
    EXPECT_EQ(startup_error_of([&] { core::read_gateway_settings(document, "/opt/vgw/bin"); }),
              "gw.ini: [gateway] threads: must be at least 2, got 1");
}

TEST(GatewaySettingsTest, CorsOriginsAreWebOriginsOrAStarAlone) {
    auto origins_of = [](const std::string& value) {
        IniDocument document =
            IniDocument::parse("[gateway]\ncors_origins = " + value + "\n", "gw.ini");
        return core::read_gateway_settings(document, "/opt/vgw/bin").cors_origins;
    };
    EXPECT_EQ(origins_of("https://farm.example.com, http://localhost:3000"),
              (std::vector<std::string>{"https://farm.example.com", "http://localhost:3000"}));
    EXPECT_EQ(origins_of("*"), std::vector<std::string>{"*"});
    EXPECT_TRUE(origins_of("").empty());
    for (const std::string bad : {"farm.example.com", "https://farm.example.com/", "*, https://a.b",
                                  "ftp://farm.example.com", "https://"}) {
        IniDocument document =
            IniDocument::parse("[gateway]\ncors_origins = " + bad + "\n", "gw.ini");
        EXPECT_NE(startup_error_of([&] {
                      core::read_gateway_settings(document, "/opt/vgw/bin");
                  }).find("gw.ini: [gateway] cors_origins: must be * alone or origins like"),
                  std::string::npos)
            << bad;
    }
}

TEST(GatewaySettingsTest, WebhooksNeedASecretAndHostPatterns) {
    auto error_of = [](const std::string& section) {
        IniDocument document = IniDocument::parse("[webhooks]\n" + section, "gw.ini");
        return startup_error_of([&] { core::read_gateway_settings(document, "/opt/vgw/bin"); });
    };
    EXPECT_EQ(error_of("allowed_hosts = hooks.example.com\n"),
              "gw.ini: [webhooks] secret: must be at least 16 bytes when allowed_hosts is set "
              "(webhooks are signed)");
    for (const std::string bad : {"*", "*.", "https://hooks.example.com", "a..b", "*foo.com"}) {
        EXPECT_NE(error_of("allowed_hosts = " + bad + "\nsecret = 0123456789abcdef\n")
                      .find("gw.ini: [webhooks] allowed_hosts: must be host names"),
                  std::string::npos)
            << bad;
    }
    IniDocument document = IniDocument::parse(
        "[webhooks]\nallowed_hosts = Hooks.Example.com, *.partner.net\nsecret = x\n", "gw.ini",
        {{"VISIONGW_WEBHOOK_SECRET", "0123456789abcdef"}});
    core::GatewaySettings settings = core::read_gateway_settings(document, "/opt/vgw/bin");
    EXPECT_EQ(settings.webhook_allowed_hosts,
              (std::vector<std::string>{"Hooks.Example.com", "*.partner.net"}));
    EXPECT_EQ(settings.webhook_secret, "0123456789abcdef");
    EXPECT_FALSE(settings.webhook_allow_private_addresses);
}

TEST(GatewaySettingsTest, UnknownCoreKeyListsTheSectionsValidKeys) {
    IniDocument document = IniDocument::parse("[upload]\nmax_size = 1\n", "gw.ini");
    std::string valid;
    for (const auto& section : core::core_sections()) {
        if (std::string(section.name) != "upload")
            continue;
        for (const auto& option : section.options)
            valid += (valid.empty() ? "" : ", ") + std::string(option.name);
    }
    EXPECT_EQ(startup_error_of([&] { core::read_gateway_settings(document, "/opt/vgw/bin"); }),
              "gw.ini: [upload] max_size: unknown key; valid keys are: " + valid);
}

}  // namespace
}  // namespace visiongw::testing
