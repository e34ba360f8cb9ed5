// The job texts are assembled by hand: they must parse back to exactly what went in, whatever
// a client put in its filename or prompt.
#include "jobs/job_json.h"

#include <gtest/gtest.h>

#include "json_object.h"

namespace visiongw::core {
namespace {

using visiongw::testing::parse_object;

const std::string kAwkward = "a \"quoted\" \\ back\\slash, tab\t, newline\n, \x01 and caf\xc3\xa9";

ReceivedUpload upload_of_leaf() {
    ReceivedUpload upload;
    upload.sha256 = std::string(64, 'e');
    upload.size = 123456789012;
    upload.image = ImageInfo{ImageFormat::webp, 4000, 3000};
    upload.original_filename = kAwkward;
    return upload;
}

TEST(JobJson, ParametersKeepTheirTypesAndAnyText) {
    const std::map<std::string, sdk::ParamValue> parameters{{"confidence_threshold", 0.6},
                                                            {"return_details", true},
                                                            {"custom_prompt", kAwkward},
                                                            {"unset", sdk::ParamValue{}}};
    auto object = parse_object(parameters_json(parameters));
    EXPECT_EQ(object->getValue<double>("confidence_threshold"), 0.6);
    EXPECT_TRUE(object->getValue<bool>("return_details"));
    EXPECT_EQ(object->getValue<std::string>("custom_prompt"), kAwkward);
    EXPECT_TRUE(object->isNull("unset"));
    EXPECT_EQ(parameters_json({}), "{}");
}

TEST(JobJson, FileObjectCarriesTheFacts) {
    auto file = parse_object(file_json(upload_of_leaf(), true));
    EXPECT_EQ(file->getValue<std::string>("sha256"), std::string(64, 'e'));
    EXPECT_EQ(file->getValue<std::uint64_t>("size"), 123456789012u);
    EXPECT_EQ(file->getValue<std::string>("format"), "webp");
    EXPECT_EQ(file->getValue<int>("width"), 4000);
    EXPECT_EQ(file->getValue<int>("height"), 3000);
    EXPECT_TRUE(file->getValue<bool>("deduplicated"));
}

}  // namespace
}  // namespace visiongw::core
