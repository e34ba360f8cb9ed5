// GET /api/v1/vision/analysis-types: what the loaded analysis-type plugins accept, as their
// parameters() and ini sections declare it, behind the API key like every /api route.
#include <gtest/gtest.h>

#include "operations_support.h"

namespace visiongw::testing {
namespace {

constexpr const char* kTypesPath = "/api/v1/vision/analysis-types";

class AnalysisTypesTest : public OperationsTest {};

TEST_F(AnalysisTypesTest, ListsEveryLoadedTypeWithItsConfiguredParameters) {
    start_gateway(
        {{"plugins", "analysis = pest, disease\n"}, {"disease", "confidence_threshold = 0.8\n"}});
    HttpAnswer answer = get(kTypesPath);
    ASSERT_EQ(answer.status, 200) << answer.body;
    auto types = parse_object(answer.body)->getArray("analysis_types");
    ASSERT_EQ(types->size(), 2u);
    EXPECT_EQ(types->getObject(0)->getValue<std::string>("name"), "disease");
    EXPECT_EQ(types->getObject(1)->getValue<std::string>("name"), "pest");
    std::map<std::string, Poco::JSON::Object::Ptr> disease;
    auto parameters = types->getObject(0)->getArray("parameters");
    for (std::size_t i = 0; i < parameters->size(); ++i)
        disease[parameters->getObject(i)->getValue<std::string>("name")] = parameters->getObject(i);
    ASSERT_TRUE(disease.count("confidence_threshold") && disease.count("return_details") &&
                disease.count("custom_prompt"))
        << answer.body;
    EXPECT_EQ(disease["confidence_threshold"]->getValue<double>("default"), 0.8);
    EXPECT_EQ(disease["confidence_threshold"]->getValue<double>("maximum"), 1);
    EXPECT_EQ(disease["return_details"]->getValue<std::string>("type"), "boolean");
    EXPECT_EQ(disease["custom_prompt"]->getValue<int>("max_length"), 500);
}

TEST_F(AnalysisTypesTest, NeedsAKeyWhenAuthIsOn) {
    const ApiKey key{"vgw-test-key-types-8c21f4", "tenant-a", "client"};
    start_gateway({}, {key});
    expect_error(get(kTypesPath), 401, "unauthorized");
    EXPECT_EQ(get(kTypesPath, key.bearer()).status, 200);
}

}  // namespace
}  // namespace visiongw::testing
