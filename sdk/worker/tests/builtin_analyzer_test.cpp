#include "builtin_analyzer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "fake_context.h"

namespace visiongw::worker::testing {
namespace {

using reference::analyse_colours;

double share(const Poco::JSON::Object::Ptr& result, const std::string& colour) {
    return result->getObject("colour_shares")->getValue<double>(colour);
}

TEST(BuiltinAnalyzer, MostlyGreenJpegHasAHighGreenShareAndALowLesionScore) {
    ScratchDir dir;
    const std::string path = dir.file("leaf.jpg");
    write_jpeg(path, 200, 100, kLeafGreen, kLesionBrown, 0.1);
    FakeContext context(job_for_file(path, "disease"));

    Poco::JSON::Object::Ptr result = analyse_colours(context);

    EXPECT_EQ(result->getValue<std::string>("analyzer"), "builtin-demo");
    EXPECT_EQ(result->getValue<std::string>("format"), "jpeg");
    EXPECT_EQ(result->getValue<std::uint64_t>("pixels_analyzed"), 200u * 100u);
    EXPECT_GT(share(result, "green"), 0.85);
    EXPECT_LT(result->getValue<double>("lesion_score"), 0.15);
    EXPECT_FALSE(result->getValue<bool>("discoloured"));
    ASSERT_FALSE(context.reported.empty());
    EXPECT_TRUE(std::is_sorted(context.reported.begin(), context.reported.end()));
    EXPECT_EQ(context.reported.back(), 100);
}

TEST(BuiltinAnalyzer, BrownPngHasAHighLesionScore) {
    ScratchDir dir;
    const std::string path = dir.file("dry.png");
    write_png(path, 64, 64, kLesionBrown, kDryYellow, 0.25);
    FakeContext context(job_for_file(path, "pest"));

    Poco::JSON::Object::Ptr result = analyse_colours(context);

    EXPECT_EQ(result->getValue<std::string>("format"), "png");
    EXPECT_EQ(result->getValue<std::uint64_t>("pixels_analyzed"), 64u * 64u);
    EXPECT_NEAR(share(result, "brown"), 0.75, 0.02);
    EXPECT_NEAR(share(result, "yellow"), 0.25, 0.02);
    EXPECT_GT(result->getValue<double>("lesion_score"), 0.95);
    EXPECT_TRUE(result->getValue<bool>("discoloured"));
}

TEST(BuiltinAnalyzer, InterlacedPngCountsEveryPixelOnce) {
    ScratchDir dir;
    const std::string path = dir.file("interlaced.png");
    write_png(path, 37, 23, kLeafGreen, kLesionBrown, 0.3, /*interlaced=*/true);
    FakeContext context(job_for_file(path, "comprehensive"));

    Poco::JSON::Object::Ptr result = analyse_colours(context);

    EXPECT_EQ(result->getValue<std::uint64_t>("pixels_analyzed"), 37u * 23u);
    EXPECT_NEAR(share(result, "brown"), 7.0 / 23.0, 0.001);
    EXPECT_EQ(result->getValue<std::string>("dominant_colour"), "green");
}

TEST(BuiltinAnalyzer, ThresholdComesFromTheJobParameters) {
    ScratchDir dir;
    const std::string path = dir.file("leaf.png");
    write_png(path, 10, 10, kLeafGreen, kLesionBrown, 0.3);
    FakeContext context(job_for_file(path, "disease"));
    context.mutable_job().parameters->set("confidence_threshold", 0.2);

    Poco::JSON::Object::Ptr result = analyse_colours(context);

    EXPECT_DOUBLE_EQ(result->getValue<double>("threshold"), 0.2);
    EXPECT_TRUE(result->getValue<bool>("discoloured"));
}

TEST(BuiltinAnalyzer, OtherFormatsFailAsUnsupported) {
    ScratchDir dir;
    const std::string path = dir.file("image.gif");
    std::ofstream(path) << "GIF89a not really";
    FakeContext context(job_for_file(path, "pest"));
    try {
        analyse_colours(context);
        FAIL() << "no error";
    } catch (const AnalysisError& e) {
        EXPECT_EQ(e.code(), "unsupported_format");
        EXPECT_FALSE(e.retryable());
    }
}

TEST(BuiltinAnalyzer, TruncatedJpegFailsAsUndecodable) {
    ScratchDir dir;
    const std::string path = dir.file("broken.jpg");
    write_jpeg(path, 64, 64, kLeafGreen);
    std::filesystem::resize_file(path, 200);
    FakeContext context(job_for_file(path, "pest"));
    try {
        analyse_colours(context);
        FAIL() << "no error";
    } catch (const AnalysisError& e) {
        EXPECT_EQ(e.code(), "undecodable_image");
    }
}

TEST(BuiltinAnalyzer, StopsWhenCancelled) {
    ScratchDir dir;
    const std::string path = dir.file("big.png");
    write_png(path, 50, 400, kLeafGreen);
    FakeContext context(job_for_file(path, "pest"));
    context.cancel_after_progress = 3;

    EXPECT_THROW(analyse_colours(context), AnalysisError);
    EXPECT_EQ(context.reported.size(), 3u);
}

}  // namespace
}  // namespace visiongw::worker::testing
