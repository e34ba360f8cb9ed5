#include "analysis_validator.h"

#include <gtest/gtest.h>

namespace visiongw::analysis {
namespace {

class NullLog : public sdk::PluginLog {
public:
    void write(sdk::LogLevel, std::string_view) override {}
};

AnalysisTypeValidator make(double threshold = 0.6, std::int64_t prompt_limit = 10) {
    AnalysisTypeValidator validator("pest");
    NullLog log;
    sdk::PluginContext context{log};
    validator.configure(sdk::PluginConfig("pest", {{"confidence_threshold", threshold},
                                                   {"return_details", false},
                                                   {"custom_prompt_max_length", prompt_limit},
                                                   {"description", std::string("pests")}}),
                        context);
    return validator;
}

TEST(AnalysisValidator, DefaultsComeFromTheSection) {
    auto result = make(0.7).validate({});
    ASSERT_TRUE(result.errors.empty());
    EXPECT_EQ(std::get<double>(result.values.at("confidence_threshold")), 0.7);
    EXPECT_EQ(std::get<bool>(result.values.at("return_details")), false);
    EXPECT_TRUE(std::holds_alternative<std::monostate>(result.values.at("custom_prompt")));
}

TEST(AnalysisValidator, AcceptsValidFields) {
    auto result = make().validate(
        {{"confidence_threshold", "0.25"}, {"return_details", "1"}, {"custom_prompt", "héllo"}});
    ASSERT_TRUE(result.errors.empty());
    EXPECT_EQ(std::get<double>(result.values.at("confidence_threshold")), 0.25);
    EXPECT_TRUE(std::get<bool>(result.values.at("return_details")));
    EXPECT_EQ(std::get<std::string>(result.values.at("custom_prompt")), "héllo");
}

TEST(AnalysisValidator, NamesTheFieldOfEachError) {
    auto result = make().validate({{"confidence_threshold", "1.5"},
                                   {"return_details", "maybe"},
                                   {"custom_prompt", "far more than ten characters"}});
    ASSERT_EQ(result.errors.size(), 3u);
    EXPECT_EQ(result.errors[0].field, "confidence_threshold");
    EXPECT_EQ(result.errors[0].message, "confidence_threshold must be between 0 and 1, got 1.5");
    EXPECT_EQ(result.errors[1].field, "return_details");
    EXPECT_EQ(result.errors[2].field, "custom_prompt");
    EXPECT_EQ(result.errors[2].message, "custom_prompt must be at most 10 characters, got 28");
    for (const auto& error : result.errors)
        EXPECT_EQ(error.code, "invalid_field");
}

TEST(AnalysisValidator, RejectsNonNumbersAndBadUtf8) {
    auto result = make().validate({{"confidence_threshold", "0.5abc"}, {"custom_prompt", "\xff"}});
    ASSERT_EQ(result.errors.size(), 2u);
    EXPECT_EQ(result.errors[0].message, "confidence_threshold must be a number, got '0.5abc'");
    EXPECT_EQ(result.errors[1].message, "custom_prompt must be UTF-8 text");
    EXPECT_EQ(make().validate({{"confidence_threshold", "nan"}}).errors.size(), 1u);
}

// Well-formed UTF-8 only (Unicode 15, table 3-7): what a decoder would turn into U+FFFD is
// refused, so the text that reaches a worker is the text the client sent.
TEST(AnalysisValidator, RejectsIllFormedUtf8) {
    for (const char* bytes :
         {"\xC0\xAF", "\xC1\xBF", "\xE0\x80\xAF", "\xF0\x80\x80\xAF", "\xED\xA0\x80",
          "\xED\xBF\xBF", "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xF7\xBF\xBF\xBF",
          "\xF8\x88\x80\x80\x80", "\x80", "\xE2\x82", "\xE2\x82x", "\xFF"}) {
        auto result = make(0.6, 100).validate({{"custom_prompt", "a" + std::string(bytes) + "b"}});
        ASSERT_EQ(result.errors.size(), 1u) << ::testing::PrintToString(bytes);
        EXPECT_EQ(result.errors[0].message, "custom_prompt must be UTF-8 text");
    }
    // The edges of what is well-formed: U+0080, U+07FF, U+0800, U+D7FF, U+E000, U+FFFF,
    // U+10000, U+10FFFF.
    const std::string edges =
        "\xC2\x80\xDF\xBF\xE0\xA0\x80\xED\x9F\xBF\xEE\x80\x80\xEF\xBF\xBF\xF0\x90\x80\x80\xF4\x8F"
        "\xBF\xBF";
    auto result = make(0.6, 8).validate({{"custom_prompt", edges}});
    EXPECT_TRUE(result.errors.empty());
    EXPECT_EQ(std::get<std::string>(result.values.at("custom_prompt")), edges);
}

TEST(AnalysisValidator, IgnoresUndeclaredFields) {
    EXPECT_TRUE(make().validate({{"colour", "green"}}).errors.empty());
}

}  // namespace
}  // namespace visiongw::analysis
