// Rejected submits: each answers the documented status and error code and leaves nothing
// behind — the same files in storage, Redis keys and queued messages before and after.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "gateway_support.h"

namespace visiongw::testing {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;

constexpr std::size_t kMaxFileSize = 100000;
// A Content-Length above this is refused before the body is read (the gateway allows 1 MiB of
// form overhead on top of the image limit).
constexpr std::size_t kEarlyRefusalBytes = kMaxFileSize + (1u << 20);

class SubmitRejectionTest : public GatewaySuite {
protected:
    static void SetUpTestSuite() {
        start_gateway({{"upload", "max_file_size = " + std::to_string(kMaxFileSize) + "\n"}});
    }

    // Runs `send`, expects the error answer and an unchanged footprint; returns the message.
    static std::string expect_rejected(const std::function<HttpAnswer()>& send, int status,
                                       const std::string& code) {
        const Footprint before = footprint_of(gateway());
        const std::string message = expect_error(send(), status, code);
        EXPECT_EQ(footprint_of(gateway()), before);
        return message;
    }

    static std::string expect_rejected(const MultipartBody& form, int status,
                                       const std::string& code) {
        return expect_rejected([&] { return submit(gateway(), form); }, status, code);
    }

    // Analyze requests the gateway finished (answered or dropped), from its request log.
    static std::size_t analyze_requests_logged() {
        const std::string log = gateway().output();
        const std::string entry = std::string(R"("route":")") + kAnalyzePath + '"';
        std::size_t count = 0;
        for (auto at = log.find(entry); at != std::string::npos; at = log.find(entry, at + 1)) {
            ++count;
        }
        return count;
    }

    static MultipartBody pest_form(const std::string& filename, const std::string& content_type,
                                   const std::string& bytes) {
        return MultipartBody()
            .field("analysis_type", "pest")
            .file("image", filename, content_type, bytes);
    }
};

// Over the limit, but not by so much that the Content-Length alone gives it away.
std::string image_over_the_limit() {
    std::string image = make_png(200, 200, 1);
    EXPECT_GT(image.size(), kMaxFileSize);
    EXPECT_LT(image.size(), 2 * kMaxFileSize);
    return image;
}

// So big that the Content-Length alone gives it away.
std::string image_far_over_the_limit() {
    std::string image = make_png(700, 700, 2);
    EXPECT_GT(image.size(), kEarlyRefusalBytes);
    return image;
}

TEST_F(SubmitRejectionTest, OversizeImageFoundWhileStreamingAChunkedBody) {
    const MultipartBody form = leaf_form(image_over_the_limit());
    expect_rejected([&] { return submit_chunked(gateway(), form); }, 413, "file_too_large");
}

TEST_F(SubmitRejectionTest, OversizeImageFoundWhileStreamingUnderTheContentLengthLimit) {
    expect_rejected(leaf_form(image_over_the_limit()), 413, "file_too_large");
}

TEST_F(SubmitRejectionTest, OversizeAnswerReachesAClientThatIsStillSending) {
    // The client sent more than the limit and waits for an answer before sending the rest.
    const MultipartBody form = leaf_form(make_png(370, 370, 7));
    const std::size_t body_size = form.str().size();
    ASSERT_LT(body_size, kEarlyRefusalBytes) << "the Content-Length must not give it away";
    ASSERT_GT(body_size, 3 * kMaxFileSize);
    const Footprint before = footprint_of(gateway());
    const std::string status_line = answer_to_partial_upload(gateway(), form, 3 * kMaxFileSize, 5s);
    EXPECT_EQ(status_line.rfind("HTTP/1.1 413 ", 0), 0u) << "status line: " << status_line;
    EXPECT_EQ(footprint_of(gateway()), before);
}

TEST_F(SubmitRejectionTest, OversizeContentLengthRefusedEarly) {
    expect_rejected(leaf_form(image_far_over_the_limit()), 413, "file_too_large");
}

TEST_F(SubmitRejectionTest, OversizeWithExpectContinueIsRefusedBeforeTheBodyIsSent) {
    // The harness's own folder, removed with the gateway.
    const std::string path =
        (std::filesystem::path(gateway().storage_root()).parent_path() / "big.png").string();
    std::ofstream(path, std::ios::binary) << image_far_over_the_limit();
    const Footprint before = footprint_of(gateway());
    EXPECT_EQ(curl_expect_continue(gateway(), path), "413 0") << "status and bytes uploaded";
    EXPECT_EQ(footprint_of(gateway()), before);
}

TEST_F(SubmitRejectionTest, PdfIsNotAnImage) {
    const std::string pdf = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n";
    expect_rejected(pest_form("leaf.pdf", "application/pdf", pdf), 415, "unsupported_media_type");
}

TEST_F(SubmitRejectionTest, ScriptNamedJpgIsNotAnImage) {
    const std::string script = "#!/bin/sh\necho 'not a leaf'\nrm -rf \"$HOME/tmp\"\n";
    expect_rejected(pest_form("leaf.jpg", "image/jpeg", script), 415, "unsupported_media_type");
}

TEST_F(SubmitRejectionTest, DecompressionBombIsRejected) {
    expect_rejected(leaf_form(png_claiming(100000, 100000)), 422, "image_rejected");
}

// A GIF's pixels are its frames', not only its logical screen's.
TEST_F(SubmitRejectionTest, GifFrameBeyondItsScreenIsADecompressionBomb) {
    const std::string gif = "GIF89a\x01\0\x01\0\0\0\0"s +            // a 1x1 screen
                            "\x2C\0\0\0\0\xFF\xFF\xFF\xFF\0\x02"s +  // a 65535x65535 frame
                            "\x02\x4C\x01\0;"s;
    const std::string message =
        expect_rejected(pest_form("leaf.gif", "image/gif", gif), 422, "image_rejected");
    EXPECT_NE(message.find("4294836225 pixels"), std::string::npos) << message;
}

TEST_F(SubmitRejectionTest, ZeroDimensionsAreRejected) {
    expect_rejected(leaf_form(png_claiming(0, 16)), 422, "image_rejected");
}

TEST_F(SubmitRejectionTest, TruncatedHeaderIsRejected) {
    expect_rejected(leaf_form(make_png(8, 8).substr(0, 20)), 422, "image_rejected");
}

TEST_F(SubmitRejectionTest, MissingImageIsAMissingField) {
    const std::string message =
        expect_rejected(MultipartBody().field("analysis_type", "pest"), 400, "missing_field");
    EXPECT_NE(message.find("image"), std::string::npos) << message;
}

TEST_F(SubmitRejectionTest, MissingAnalysisTypeIsAMissingField) {
    const std::string message =
        expect_rejected(MultipartBody().file("image", "leaf.png", "image/png", make_png(8, 8, 3)),
                        400, "missing_field");
    EXPECT_NE(message.find("analysis_type"), std::string::npos) << message;
}

TEST_F(SubmitRejectionTest, UnknownAnalysisTypeListsTheKnownOnes) {
    const std::string message =
        expect_rejected(MultipartBody()
                            .field("analysis_type", "weeds")
                            .file("image", "leaf.png", "image/png", make_png(8, 8, 4)),
                        400, "unknown_analysis_type");
    for (const char* type : {"pest", "disease", "comprehensive"}) {
        EXPECT_NE(message.find(type), std::string::npos) << type << " not in: " << message;
    }
}

TEST_F(SubmitRejectionTest, BadConfidenceThresholdNamesTheField) {
    for (const char* value : {"1.5", "abc"}) {
        SCOPED_TRACE(value);
        const std::string message =
            expect_rejected(leaf_form(make_png(8, 8, 5)).field("confidence_threshold", value), 400,
                            "invalid_field");
        EXPECT_NE(message.find("confidence_threshold"), std::string::npos) << message;
    }
}

// Form fields travel to the worker as JSON text: bytes that are not well-formed UTF-8
// (overlong forms, surrogates, lead bytes F5-FF, a cut sequence) are refused naming the field,
// never replaced with U+FFFD on the way; also in a field no analysis type declares.
TEST_F(SubmitRejectionTest, IllFormedUtf8InAFieldIsRefusedNamingTheField) {
    int seed = 30;
    for (const std::string bytes :
         {"\xC0\xAF", "\xE0\x80\xAF", "\xF0\x80\x80\xAF", "\xED\xA0\x80", "\xF5\x80\x80\x80",
          "\xF7\xBF\xBF\xBF", "\xF4\x90\x80\x80", "\xC3"}) {
        SCOPED_TRACE(::testing::PrintToString(bytes));
        const std::string message = expect_rejected(
            leaf_form(make_png(8, 8, ++seed)).field("custom_prompt", "look for " + bytes), 400,
            "invalid_field");
        EXPECT_NE(message.find("custom_prompt"), std::string::npos) << message;
    }
    const std::string message = expect_rejected(
        leaf_form(make_png(8, 8, ++seed)).field("notes", "\xED\xA0\x80"), 400, "invalid_field");
    EXPECT_NE(message.find("notes"), std::string::npos) << message;
}

TEST_F(SubmitRejectionTest, NonMultipartBodyIsUnsupported) {
    expect_rejected(
        [] {
            return http_request(gateway().port(), "POST", kAnalyzePath, {},
                                R"({"analysis_type":"pest"})", "application/json");
        },
        415, "unsupported_media_type");
}

TEST_F(SubmitRejectionTest, ClientThatDisconnectsMidUploadLeavesNothing) {
    // The fields come first, so only the cut body tells the gateway that the form is broken.
    const MultipartBody form = leaf_form(make_png(150, 150, 6));
    const std::string body = form.str();
    ASSERT_LT(body.size(), kMaxFileSize);
    // Cut in the image; just before the closing boundary; in the closing boundary's line break.
    const std::size_t closing_boundary = body.rfind("\r\n--") + 2;
    for (std::size_t sent : {body.size() / 2, closing_boundary, body.size() - 2, body.size() - 1}) {
        SCOPED_TRACE("sent " + std::to_string(sent) + " of " + std::to_string(body.size()));
        const Footprint before = footprint_of(gateway());
        const std::size_t handled = analyze_requests_logged();
        submit_cut_short(gateway(), form, sent);
        EXPECT_TRUE(eventually([&] { return analyze_requests_logged() > handled; }, 5s))
            << "the gateway never finished the request:\n"
            << gateway().output();
        EXPECT_EQ(footprint_of(gateway()), before);
    }
    EXPECT_TRUE(gateway().running());
}

}  // namespace
}  // namespace visiongw::testing
