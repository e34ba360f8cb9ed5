#include "ops/json_log.h"

#include <Poco/JSON/Object.h>
#include <gtest/gtest.h>

#include <cctype>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "json_object.h"
#include "visiongw/sdk/errors.h"

namespace visiongw::core {
namespace {

using sdk::LogLevel;

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        lines.push_back(line);
    }
    return lines;
}

// Matches the shape 2026-11-28T17:00:00.123Z: digits where the pattern has '9'.
bool is_rfc3339_utc_millis(const std::string& time) {
    const std::string pattern = "9999-99-99T99:99:99.999Z";
    if (time.size() != pattern.size()) {
        return false;
    }
    for (std::size_t i = 0; i < time.size(); ++i) {
        const bool digit = std::isdigit(static_cast<unsigned char>(time[i])) != 0;
        if (pattern[i] == '9' ? !digit : time[i] != pattern[i]) {
            return false;
        }
    }
    return true;
}

using visiongw::testing::parse_object;

TEST(JsonLogTest, WritesOneJsonObjectPerLineWithFields) {
    std::ostringstream out;
    JsonLog log(out, LogLevel::info);
    log.write(LogLevel::info, "request served",
              {{"request_id", "r-1"},
               {"route", std::string("/api/v1/vision/analyze")},
               {"method", "POST"},
               {"status", 202},
               {"duration_ms", 12.5},
               {"bytes", std::size_t{113569}},
               {"deduplicated", false}});

    const auto lines = lines_of(out.str());
    ASSERT_EQ(lines.size(), 1u);
    const auto object = parse_object(lines[0]);
    EXPECT_TRUE(is_rfc3339_utc_millis(object->getValue<std::string>("time")));
    EXPECT_EQ(object->getValue<std::string>("level"), "info");
    EXPECT_EQ(object->getValue<std::string>("message"), "request served");
    EXPECT_EQ(object->getValue<std::string>("request_id"), "r-1");
    EXPECT_EQ(object->getValue<std::string>("route"), "/api/v1/vision/analyze");
    EXPECT_EQ(object->getValue<std::string>("method"), "POST");
    EXPECT_EQ(object->getValue<int>("status"), 202);
    EXPECT_EQ(object->getValue<double>("duration_ms"), 12.5);
    EXPECT_EQ(object->getValue<std::uint64_t>("bytes"), 113569u);
    EXPECT_FALSE(object->getValue<bool>("deduplicated"));
}

TEST(JsonLogTest, EscapesStringsAndReplacesInvalidUtf8) {
    std::ostringstream out;
    JsonLog log(out, LogLevel::debug);
    const std::string nasty = std::string("quote\" back\\ nl\n tab\t bell\x07 nul") + '\0' +
                              " ok\xC3\xA9 bad\xFF\xC3 over\xC0\xAF sur\xED\xA0\x80 end";
    log.write(LogLevel::error, nasty, {{"key \"x\"", nasty}, {"message", "not the message"}});

    const auto lines = lines_of(out.str());
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_NE(lines[0].find(R"(\u0007)"), std::string::npos);
    EXPECT_NE(lines[0].find(R"(\u0000)"), std::string::npos);
    const auto object = parse_object(lines[0]);
    const std::string expected =
        std::string("quote\" back\\ nl\n tab\t bell\x07 nul") + '\0' +
        " ok\xC3\xA9 bad\xEF\xBF\xBD\xEF\xBF\xBD over\xEF\xBF\xBD\xEF\xBF\xBD "
        "sur\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD end";
    EXPECT_EQ(object->getValue<std::string>("message"), expected);
    EXPECT_EQ(object->getValue<std::string>("key \"x\""), expected);
    EXPECT_EQ(object->getValue<std::string>("field_message"), "not the message");
    EXPECT_EQ(object->getValue<std::string>("level"), "error");
}

TEST(JsonLogTest, NonFiniteNumbersBecomeNull) {
    std::ostringstream out;
    JsonLog log(out);
    log.write(LogLevel::info, "m", {{"ratio", std::numeric_limits<double>::infinity()}});
    EXPECT_TRUE(parse_object(lines_of(out.str()).at(0))->isNull("ratio"));
}

TEST(JsonLogTest, FiltersBelowTheConfiguredLevel) {
    std::ostringstream out;
    JsonLog log(out, parse_log_level("warning"));
    log.write(LogLevel::debug, "d");
    log.write(LogLevel::info, "i");
    log.write(LogLevel::warning, "w");
    log.write(LogLevel::error, "e");

    const auto lines = lines_of(out.str());
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(parse_object(lines[0])->getValue<std::string>("level"), "warning");
    EXPECT_EQ(parse_object(lines[1])->getValue<std::string>("level"), "error");
    EXPECT_FALSE(log.enabled(LogLevel::info));
    EXPECT_TRUE(log.enabled(LogLevel::error));
}

TEST(JsonLogTest, ParsesLevelWordsAndRejectsOthers) {
    EXPECT_EQ(parse_log_level("debug"), LogLevel::debug);
    EXPECT_EQ(parse_log_level("info"), LogLevel::info);
    EXPECT_EQ(parse_log_level("warning"), LogLevel::warning);
    EXPECT_EQ(parse_log_level("error"), LogLevel::error);
    try {
        parse_log_level("verbose");
        FAIL() << "verbose accepted";
    } catch (const sdk::ConfigError& e) {
        EXPECT_STREQ(e.what(), "log level \"verbose\" is not one of debug, info, warning, error");
    }
}

TEST(JsonLogTest, PluginLinesAreTaggedWithThePlugin) {
    std::ostringstream out;
    JsonLog log(out);
    PluginJsonLog plugin_log(log, "rabbitmq");
    sdk::PluginLog& as_sdk = plugin_log;
    as_sdk.write(LogLevel::warning, "broker reconnected");

    const auto object = parse_object(lines_of(out.str()).at(0));
    EXPECT_EQ(object->getValue<std::string>("plugin"), "rabbitmq");
    EXPECT_EQ(object->getValue<std::string>("message"), "broker reconnected");
    EXPECT_EQ(object->getValue<std::string>("level"), "warning");
}

TEST(JsonLogTest, ConcurrentWritersProduceWholeLines) {
    constexpr int kThreads = 8;
    constexpr int kLines = 2000;
    std::ostringstream out;
    JsonLog log(out);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&log, t] {
            const std::string padding(200, static_cast<char>('a' + t));
            for (int i = 0; i < kLines; ++i) {
                log.write(LogLevel::info, padding, {{"writer", t}, {"seq", i}});
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }

    const auto lines = lines_of(out.str());
    ASSERT_EQ(lines.size(), static_cast<std::size_t>(kThreads * kLines));
    std::vector<int> next_seq(kThreads, 0);
    for (const auto& line : lines) {
        const auto object = parse_object(line);
        const int writer = object->getValue<int>("writer");
        EXPECT_EQ(object->getValue<std::string>("message"),
                  std::string(200, static_cast<char>('a' + writer)));
        EXPECT_EQ(object->getValue<int>("seq"), next_seq[writer]++);
    }
}

}  // namespace
}  // namespace visiongw::core
