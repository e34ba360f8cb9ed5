// Option tables validated by the core (core/config/option_table.cpp): types, ranges, required
// keys, choices, and the environment variables the tables declare, for any section and for the
// plugins this build ships.
#include <gtest/gtest.h>

#include "config/gateway_settings.h"
#include "config/ini_document.h"
#include "config/option_table.h"
#include "core_testing.h"
#include "plugin_host/plugin_host.h"

namespace visiongw::testing {
namespace {

using core::IniDocument;

constexpr visiongw_option kCameraOptions[] = {
    {.name = "url",
     .type = VISIONGW_OPTION_STRING,
     .required = 1,
     .description = "where the camera answers"},
    {.name = "retries",
     .type = VISIONGW_OPTION_INT,
     .default_value = "3",
     .min = "0",
     .max = "10",
     .description = "attempts per frame"},
    {.name = "ratio",
     .type = VISIONGW_OPTION_DOUBLE,
     .default_value = "0.5",
     .min = "0",
     .max = "1",
     .description = "share of frames kept"},
    {.name = "verbose",
     .type = VISIONGW_OPTION_BOOL,
     .default_value = "false",
     .description = "log every frame"},
};

constexpr const char* kModes[] = {"still", "burst", "video", nullptr};

// A table whose options declare environment overrides and a fixed set of values.
constexpr visiongw_option kRecorderOptions[] = {
    {.name = "url",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "rtsp://default",
     .env = "RECORDER_URL",
     .description = "where the recorder answers"},
    {.name = "retries",
     .type = VISIONGW_OPTION_INT,
     .default_value = "3",
     .min = "0",
     .max = "10",
     .env = "RECORDER_RETRIES",
     .description = "attempts per frame"},
    {.name = "mode",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "still",
     .choices = kModes,
     .env = "RECORDER_MODE",
     .description = "what is recorded"},
    {.name = "label",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "",
     .description = "no environment variable overrides this one"},
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

sdk::PluginConfig validate_recorder(const std::string& ini,
                                    const IniDocument::Environment& environment) {
    return core::validate_section(IniDocument::parse(ini, "rec.ini", environment), "recorder",
                                  kRecorderOptions);
}

TEST(OptionEnvironmentTest, TheVariableBeatsTheFileAndTheDefault) {
    sdk::PluginConfig config =
        validate_recorder("[recorder]\nurl = rtsp://file\nretries = 2\n",
                          {{"RECORDER_URL", "rtsp://env"}, {"RECORDER_MODE", "burst"}});
    EXPECT_EQ(config.get_string("url"), "rtsp://env");
    EXPECT_EQ(config.get_string("mode"), "burst");
    EXPECT_EQ(config.get_int("retries"), 2);
}

TEST(OptionEnvironmentTest, AVariableWorksWithoutItsSectionInTheFile) {
    IniDocument document =
        IniDocument::parse("[gateway]\nthreads = 8\n", "env.ini", {{"RECORDER_URL", "rtsp://env"}});
    EXPECT_EQ(core::validate_section(document, "recorder", kRecorderOptions).get_string("url"),
              "rtsp://env");
    // An override does not make its section a file section.
    EXPECT_EQ(document.file_sections(), std::set<std::string>{"gateway"});
}

TEST(OptionEnvironmentTest, VariablesNoOptionDeclaresAreIgnored) {
    sdk::PluginConfig config =
        validate_recorder("[recorder]\nlabel = from.file\n", {{"UNRELATED", "x"},
                                                              {"LABEL", "from.env"},
                                                              {"RECORDER_LABEL", "from.env"},
                                                              {"label", "from.env"}});
    EXPECT_EQ(config.get_string("label"), "from.file");
    EXPECT_EQ(config.get_string("url"), "rtsp://default");
}

TEST(OptionEnvironmentTest, AVariableIsValidatedLikeAFileValue) {
    EXPECT_EQ(startup_error_of([] {
                  validate_recorder("", {{"RECORDER_RETRIES", "many"}});
              }),
              "rec.ini: [recorder] retries: must be an integer, got 'many'");
    EXPECT_EQ(startup_error_of([] {
                  validate_recorder("", {{"RECORDER_RETRIES", "11"}});
              }),
              "rec.ini: [recorder] retries: must be at most 10, got 11");
    EXPECT_EQ(startup_error_of([] {
                  validate_recorder("", {{"RECORDER_MODE", "slow"}});
              }),
              "rec.ini: [recorder] mode: must be still, burst or video, got 'slow'");
}

TEST(OptionChoicesTest, AcceptsEachDeclaredValue) {
    for (const std::string mode : {"still", "burst", "video"}) {
        EXPECT_EQ(validate_recorder("[recorder]\nmode = " + mode + "\n", {}).get_string("mode"),
                  mode);
    }
    EXPECT_EQ(validate_recorder("", {}).get_string("mode"), "still");
}

TEST(OptionChoicesTest, RefusesAnyOtherValueNamingTheAllowedOnes) {
    for (const std::string mode : {"slow", "Still", "still,burst", ""}) {
        EXPECT_EQ(
            startup_error_of([&] { validate_recorder("[recorder]\nmode = " + mode + "\n", {}); }),
            "rec.ini: [recorder] mode: must be still, burst or video, got '" + mode + "'")
            << mode;
    }
}

// The plugins this build ships, to check their declared overrides.
const core::PluginHost& build_plugins() {
    static const core::PluginHost host = core::PluginHost::scan(plugin_dir());
    return host;
}

TEST(OptionEnvironmentTest, AVariableReachesAPluginsSection) {
    IniDocument document =
        IniDocument::parse("[redis]\nurl = redis://file:6379/0\n[rabbitmq]\nqueue = from.file\n",
                           "env.ini", {{"REDIS_URL", "redis://env:6380/1"}, {"UNRELATED", "x"}});
    auto section = [&](const std::string& name) {
        return core::validate_section(document, name, build_plugins().find(name).options);
    };
    EXPECT_EQ(section("redis").get_string("url"), "redis://env:6380/1");
    EXPECT_EQ(section("rabbitmq").get_string("queue"), "from.file");
}

// The variables of the original design (the API contract's configuration section), each on
// the key it overrode before the option tables declared them.
TEST(OptionEnvironmentTest, TheContractsVariablesAreDeclaredWhereTheyAlwaysLanded) {
    std::map<std::string, std::set<std::string>> declared;
    auto collect = [&](const std::string& section, core::OptionTable table) {
        for (const auto& option : table) {
            if (option.env)
                declared[option.env].insert(section + "." + option.name);
        }
    };
    for (const auto& section : core::core_sections())
        collect(section.name, section.options);
    for (const auto& library : build_plugins().libraries())
        collect(library.name, library.options);
    const std::map<std::string, std::set<std::string>> expected{
        {"VISIONGW_LISTEN", {"gateway.listen"}},
        {"FILE_STORAGE_MAX_FILE_SIZE", {"upload.max_file_size"}},
        {"FILE_STORAGE_TEMP_DIR", {"local.root"}},
        {"FILE_STORAGE_FILE_TTL", {"local.file_ttl_seconds", "s3.file_ttl_seconds"}},
        {"REDIS_URL", {"redis.url"}},
        // Redis Sentinel (issue 23), named like REDIS_URL.
        {"REDIS_SENTINELS", {"redis.sentinels"}},
        {"REDIS_SENTINEL_MASTER", {"redis.sentinel_master"}},
        {"REDIS_SENTINEL_PASSWORD", {"redis.sentinel_password"}},
        {"RABBITMQ_URL", {"rabbitmq.url"}},
        {"RABBITMQ_QUEUE_NAME", {"rabbitmq.queue"}},
        {"RABBITMQ_EXCHANGE_NAME", {"rabbitmq.exchange"}},
        {"RABBITMQ_ROUTING_KEY", {"rabbitmq.routing_key"}},
        {"VISION_SERVICE_URL", {"health.vision_service_url"}},
        {"VISIONGW_WEBHOOK_SECRET", {"webhooks.secret"}},
        // The AWS SDKs' own variables, read by the s3 storage plugin.
        {"AWS_ENDPOINT_URL", {"s3.endpoint"}},
        {"AWS_REGION", {"s3.region"}},
        {"AWS_ACCESS_KEY_ID", {"s3.access_key_id"}},
        {"AWS_SECRET_ACCESS_KEY", {"s3.secret_access_key"}},
    };
    // The reference worker's VISION_SERVICE_URL and LLM_SERVICE_URL ([worker]) are declared in
    // its own table: sdk/worker/tests/worker_config_test.cpp.
    EXPECT_EQ(declared, expected);
}

}  // namespace
}  // namespace visiongw::testing
