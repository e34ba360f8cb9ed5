// Idempotency-Key on POST /api/v1/vision/analyze, end to end on the test RabbitMQ and Redis: a
// retry gets the first job back and leaves no trace, the key used for another request is
// refused, and a key that is not 1–255 visible ASCII characters is refused before the upload.
#include <gtest/gtest.h>

#include "gateway_support.h"
#include "json_object.h"

namespace visiongw::testing {
namespace {

class IdempotencyTest : public GatewaySuite {
protected:
    static void SetUpTestSuite() { start_gateway(); }

    static MultipartBody form(unsigned seed, const std::string& analysis_type = "pest",
                              const std::string& threshold = "0.6") {
        MultipartBody body;
        body.field("analysis_type", analysis_type)
            .field("confidence_threshold", threshold)
            .file("image", "leaf.png", "image/png", make_png(16, 16, seed));
        return body;
    }

    static HttpAnswer submit_with_key(const std::string& key, const MultipartBody& body) {
        return post_form(gateway().port(), kAnalyzePath, body, {{"Idempotency-Key", key}});
    }

    static std::string job_id_of(const HttpAnswer& answer) {
        return parse_object(answer.body)->getValue<std::string>("job_id");
    }
};

TEST_F(IdempotencyTest, ARetryGetsTheFirstJobAndStoresRecordsAndPublishesNothing) {
    HttpAnswer first = submit_with_key("order-17", form(1));
    ASSERT_EQ(first.status, 202) << first.body;
    EXPECT_EQ(first.header("idempotent-replayed"), "");
    const Footprint before = footprint_of(gateway());

    HttpAnswer retry = submit_with_key("order-17", form(1));
    EXPECT_EQ(retry.status, 202) << retry.body;
    EXPECT_EQ(job_id_of(retry), job_id_of(first));
    EXPECT_EQ(retry.header("location"), first.header("location"));
    EXPECT_EQ(retry.header("idempotent-replayed"), "true");
    EXPECT_EQ(footprint_of(gateway()), before) << "no file, record or message of its own";
}

TEST_F(IdempotencyTest, TheKeyOfAnotherRequestIsRefusedAsReused) {
    HttpAnswer first = submit_with_key("order-18", form(2));
    ASSERT_EQ(first.status, 202) << first.body;
    const Footprint before = footprint_of(gateway());
    for (const MultipartBody& other : {form(3), form(2, "disease"), form(2, "pest", "0.9")}) {
        HttpAnswer reused = submit_with_key("order-18", other);
        const std::string message = expect_error(reused, 409, "idempotency_key_reused");
        EXPECT_NE(message.find(job_id_of(first)), std::string::npos) << message;
    }
    EXPECT_EQ(footprint_of(gateway()), before);
    // Another key is another request.
    EXPECT_EQ(submit_with_key("order-19", form(3)).status, 202);
}

TEST_F(IdempotencyTest, AKeyThatIsNot1To255VisibleAsciiCharactersIsRefused) {
    const Footprint before = footprint_of(gateway());
    for (const std::string& key : {std::string(256, 'k'), std::string("two words"),
                                   std::string("caf\xc3\xa9"), std::string("tab\there")}) {
        expect_error(submit_with_key(key, form(4)), 400, "invalid_idempotency_key");
    }
    EXPECT_EQ(footprint_of(gateway()), before);
    EXPECT_EQ(submit_with_key(std::string(255, 'k'), form(4)).status, 202);
    EXPECT_EQ(submit_with_key("\"quoted-as-a-structured-field\"", form(5)).status, 202);
}

}  // namespace
}  // namespace visiongw::testing
