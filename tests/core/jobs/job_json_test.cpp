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

TEST(JobJson, ListItemsCarryTheResultSummaryInsteadOfTheResult) {
    sdk::JobRecord record;
    record.id = "3f0c2a4e-8b1d-4c6e-9f7a-0123456789ab";
    record.status = sdk::JobStatus::completed;
    record.result_json = R"({"summary":"caf\u00e9 \"ok\"","lesion_score":0.1})";
    auto item = parse_object(job_list_item_json(record));
    EXPECT_FALSE(item->has("result"));
    EXPECT_EQ(item->getValue<std::string>("result_summary"), "caf\xc3\xa9 \"ok\"");
    EXPECT_EQ(item->getValue<std::string>("job_id"), record.id);

    for (const char* result : {"", R"({"labels":[]})", R"({"summary":7})", "[1,2]"}) {
        record.result_json = result;
        EXPECT_TRUE(parse_object(job_list_item_json(record))->isNull("result_summary")) << result;
    }
}

TEST(JobJson, AJobWithACallbackShowsItsWebhookButItsPayloadDoesNot) {
    sdk::JobRecord record;
    record.id = "3f0c2a4e-8b1d-4c6e-9f7a-0123456789ab";
    record.status = sdk::JobStatus::completed;
    EXPECT_FALSE(parse_object(job_json(record))->has("webhook"));

    record.callback_url = "https://hooks.example.com/done";
    auto pending = parse_object(job_json(record))->getObject("webhook");
    ASSERT_TRUE(pending);
    EXPECT_EQ(pending->getValue<std::string>("status"), "pending");
    EXPECT_EQ(pending->getValue<int>("attempts"), 0);
    EXPECT_TRUE(pending->isNull("last_error"));

    record.webhook = {sdk::WebhookStatus::failed, 7, kAwkward};
    auto failed = parse_object(job_json(record))->getObject("webhook");
    EXPECT_EQ(failed->getValue<std::string>("status"), "failed");
    EXPECT_EQ(failed->getValue<int>("attempts"), 7);
    EXPECT_EQ(failed->getValue<std::string>("last_error"), kAwkward);

    auto payload = parse_object(webhook_payload_json(record));
    EXPECT_FALSE(payload->has("webhook"));
    EXPECT_EQ(payload->getValue<std::string>("job_id"), record.id);
    EXPECT_EQ(payload->getValue<std::string>("status"), "completed");
}

TEST(JobJson, ListHasItsJobsAndACursorOnlyWhenMoreFollow) {
    sdk::JobPage page;
    page.jobs.resize(2);
    page.jobs[0].id = "a";
    page.jobs[1].id = "b";
    auto last = parse_object(job_list_json(page));
    ASSERT_EQ(last->getArray("jobs")->size(), 2u);
    EXPECT_EQ(last->getArray("jobs")->getObject(1)->getValue<std::string>("job_id"), "b");
    EXPECT_TRUE(last->isNull("next_cursor"));

    page.next = "0001764870000123456:b";
    auto more = parse_object(job_list_json(page));
    const std::string cursor = more->getValue<std::string>("next_cursor");
    EXPECT_EQ(cursor.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos)
        << "a cursor needs no escaping in a query string: " << cursor;
    EXPECT_EQ(decode_cursor(cursor), page.next);
}

TEST(JobJson, CursorsRoundTripAndAnythingElseIsRefused) {
    for (const std::string& position : {std::string("x"), std::string("ab"), std::string(300, 'q'),
                                        std::string("\xff\x00 any bytes")}) {
        EXPECT_EQ(decode_cursor(encode_cursor(position)), position);
    }
    for (const std::string& cursor : {std::string(), std::string("not*base64"), std::string("a b"),
                                      std::string("YQ=="), std::string(600, 'A')})
        EXPECT_EQ(decode_cursor(cursor), std::nullopt) << cursor;
}

// An analysis type declaring one parameter of each type.
class ThreeParameterValidator : public sdk::AnalysisValidator {
public:
    std::string analysis_type() const override { return "weeds"; }
    std::vector<sdk::ParameterSpec> parameters() const override {
        return {{.name = "threshold",
                 .type = sdk::ParamType::number,
                 .default_value = 0.25,
                 .min = 0,
                 .max = 1,
                 .description = "how sure"},
                {.name = "details",
                 .type = sdk::ParamType::boolean,
                 .default_value = true,
                 .description = "more"},
                {.name = "prompt",
                 .type = sdk::ParamType::text,
                 .default_value = {},
                 .max_length = 80,
                 .description = kAwkward}};
    }
    sdk::ValidatedParameters validate(const std::map<std::string, std::string>&) const override {
        return {};
    }
    void configure(const sdk::PluginConfig&, sdk::PluginContext&) override {}
    sdk::Health health() override { return {true, "static"}; }
};

TEST(JobJson, AnalysisTypesListEachParameterWithItsLimitsAndDefault) {
    auto answer =
        parse_object(analysis_types_json({{"weeds", std::make_shared<ThreeParameterValidator>()}}));
    auto types = answer->getArray("analysis_types");
    ASSERT_EQ(types->size(), 1u);
    EXPECT_EQ(types->getObject(0)->getValue<std::string>("name"), "weeds");
    auto parameters = types->getObject(0)->getArray("parameters");
    ASSERT_EQ(parameters->size(), 3u);
    auto threshold = parameters->getObject(0);
    EXPECT_EQ(threshold->getValue<std::string>("type"), "number");
    EXPECT_EQ(threshold->getValue<double>("minimum"), 0);
    EXPECT_EQ(threshold->getValue<double>("maximum"), 1);
    EXPECT_EQ(threshold->getValue<double>("default"), 0.25);
    EXPECT_EQ(threshold->getValue<std::string>("description"), "how sure");
    auto details = parameters->getObject(1);
    EXPECT_EQ(details->getValue<std::string>("type"), "boolean");
    EXPECT_TRUE(details->getValue<bool>("default"));
    auto prompt = parameters->getObject(2);
    EXPECT_EQ(prompt->getValue<std::string>("type"), "text");
    EXPECT_EQ(prompt->getValue<int>("max_length"), 80);
    EXPECT_TRUE(prompt->isNull("default"));
    EXPECT_EQ(prompt->getValue<std::string>("description"), kAwkward);
}

}  // namespace
}  // namespace visiongw::core
