// Ini parsing, environment overrides and option-table validation (validate_section and the
// gateway's own sections through read_gateway_settings).
#include <gtest/gtest.h>

#include "config/gateway_settings.h"
#include "config/ini_document.h"
#include "config/option_table.h"
#include "core_testing.h"

namespace visiongw::testing {
namespace {

using core::IniDocument;

constexpr visiongw_option kCameraOptions[] = {
    {"url", VISIONGW_OPTION_STRING, nullptr, 1, nullptr, nullptr, "where the camera answers"},
    {"retries", VISIONGW_OPTION_INT, "3", 0, "0", "10", "attempts per frame"},
    {"ratio", VISIONGW_OPTION_DOUBLE, "0.5", 0, "0", "1", "share of frames kept"},
    {"verbose", VISIONGW_OPTION_BOOL, "false", 0, nullptr, nullptr, "log every frame"},
};

sdk::PluginConfig validate_camera(const std::string& ini) {
    return core::validate_section(IniDocument::parse(ini, "cam.ini"), "camera", kCameraOptions);
}

TEST(ValidateSectionTest, ConvertsValuesAndFillsDefaults) {
    sdk::PluginConfig config =
        validate_camera("[Camera]\nURL = rtsp://cam\nratio = 0.75\nverbose = yes\n");
    EXPECT_EQ(config.section(), "camera");
    EXPECT_EQ(config.get_string("url"), "rtsp://cam");
    EXPECT_EQ(config.get_int("retries"), 3);
    EXPECT_EQ(config.get_double("ratio"), 0.75);
    EXPECT_TRUE(config.get_bool("verbose"));
}

struct BadSection {
    std::string name;
    std::string ini;
    std::string message;
};

void PrintTo(const BadSection& bad, std::ostream* out) {
    *out << bad.name;
}

class ValidateSectionErrorTest : public ::testing::TestWithParam<BadSection> {};

TEST_P(ValidateSectionErrorTest, NamesFileSectionKeyAndReason) {
    EXPECT_EQ(startup_error_of([] { validate_camera(GetParam().ini); }), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Options, ValidateSectionErrorTest,
    ::testing::Values(
        BadSection{"UnknownKey", "[camera]\nurl = x\ncolour = red\n",
                   "cam.ini: [camera] colour: unknown key; valid keys are: url, retries, ratio, "
                   "verbose"},
        BadSection{"TextForInteger", "[camera]\nurl = x\nretries = many\n",
                   "cam.ini: [camera] retries: must be an integer, got 'many'"},
        BadSection{"FractionForInteger", "[camera]\nurl = x\nretries = 2.5\n",
                   "cam.ini: [camera] retries: must be an integer, got '2.5'"},
        BadSection{"TextForNumber", "[camera]\nurl = x\nratio = half\n",
                   "cam.ini: [camera] ratio: must be a number, got 'half'"},
        BadSection{"TextForBoolean", "[camera]\nurl = x\nverbose = maybe\n",
                   "cam.ini: [camera] verbose: must be true or false, got 'maybe'"},
        BadSection{"AboveMaximum", "[camera]\nurl = x\nretries = 11\n",
                   "cam.ini: [camera] retries: must be at most 10, got 11"},
        BadSection{"BelowMinimum", "[camera]\nurl = x\nratio = -0.1\n",
                   "cam.ini: [camera] ratio: must be at least 0, got -0.1"},
        BadSection{"MissingRequired", "[camera]\nretries = 1\n",
                   "cam.ini: [camera] url: required string is missing (where the camera "
                   "answers)"},
        BadSection{"MissingSection", "[other]\nurl = x\n",
                   "cam.ini: [camera] url: required string is missing (where the camera "
                   "answers)"},
        BadSection{"EmptyRequiredString", "[camera]\nurl =\n",
                   "cam.ini: [camera] url: must not be empty"}),
    [](const auto& info) { return info.param.name; });

TEST(IniDocumentTest, RefusesAKeyOutsideAnySection) {
    EXPECT_EQ(startup_error_of([] { IniDocument::parse("orphan = 1\n[gateway]\n", "o.ini"); }),
              "o.ini: 'orphan' is a key outside any [section]; put it under one");
}

TEST(IniDocumentTest, EnvironmentOverridesWinOverTheFile) {
    IniDocument document = IniDocument::parse(
        "[redis]\nurl = redis://file:6379/0\n[rabbitmq]\nqueue = from.file\n", "env.ini");
    document.apply_environment({{"REDIS_URL", "redis://env:6380/1"}, {"UNRELATED", "x"}});
    EXPECT_EQ(document.value("redis", "url"), "redis://env:6380/1");
    EXPECT_EQ(document.value("rabbitmq", "queue"), "from.file");
}

TEST(IniDocumentTest, AnOverrideDoesNotMakeItsSectionAFileSection) {
    IniDocument document = IniDocument::parse("[gateway]\nthreads = 8\n", "env.ini");
    document.apply_environment({{"RABBITMQ_QUEUE_NAME", "from.env"}});
    EXPECT_EQ(document.value("rabbitmq", "queue"), "from.env");
    EXPECT_EQ(document.file_sections(), std::set<std::string>{"gateway"});
}

TEST(GatewaySettingsTest, ListenFromTheEnvironmentWinsOverTheFile) {
    IniDocument document = IniDocument::parse("[gateway]\nlisten = 127.0.0.1:8080\n", "gw.ini");
    document.apply_environment({{"VISIONGW_LISTEN", "0.0.0.0:9099"}});
    core::GatewaySettings settings = core::read_gateway_settings(document, "/opt/vgw/bin");
    EXPECT_EQ(settings.listen_host, "0.0.0.0");
    EXPECT_EQ(settings.listen_port, 9099);
    EXPECT_EQ(settings.plugin_dir, "/opt/vgw/plugins");
}

TEST(GatewaySettingsTest, ValidatesAnOverrideLikeAFileValue) {
    IniDocument document = IniDocument::parse("[gateway]\nlisten = 127.0.0.1:8080\n", "gw.ini");
    document.apply_environment({{"VISIONGW_LISTEN", "nowhere"}});
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
