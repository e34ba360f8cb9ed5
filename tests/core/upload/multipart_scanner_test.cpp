#include "multipart_scanner.h"

#include <gtest/gtest.h>

#include <random>
#include <stdexcept>
#include <vector>

#include "upload_test_support.h"

namespace visiongw::core {
namespace {

using namespace std::string_literals;
using namespace upload_testing;

constexpr std::size_t kBlock = MultipartScanner::kBlockBytes;

struct ReadPart {
    std::string disposition;
    std::string body;
    std::size_t spans = 0;
};

std::vector<ReadPart> read_all(MultipartScanner& scanner) {
    std::vector<ReadPart> parts;
    Poco::Net::MessageHeader header;
    while (scanner.next_part(header)) {
        ReadPart part{header.get("Content-Disposition", ""), "", 0};
        scanner.read_body([&](const char* data, std::size_t size) {
            part.body.append(data, size);
            ++part.spans;
        });
        parts.push_back(std::move(part));
        header.clear();
    }
    return parts;
}

std::vector<ReadPart> read_all(const std::string& body, std::size_t piece,
                               const std::string& boundary = "XyZ-b0undary") {
    PiecewiseSource source(body, piece);
    MultipartScanner scanner(source, boundary);
    return read_all(scanner);
}

// Bytes that hold line breaks, dashes and most of the delimiter without being one.
std::string tricky_bytes(std::size_t size, unsigned seed) {
    const std::string near_misses[] = {"\r\n--XyZ-b0undar", "\r\n--",         "\r\n-",
                                       "\r\r\n--XyZ",       "--XyZ-b0undary", "\n--XyZ-b0undary"};
    std::mt19937 random(seed);
    std::string out;
    while (out.size() < size) {
        if (random() % 8 == 0)
            out += near_misses[random() % std::size(near_misses)];
        else
            out += static_cast<char>(random());
    }
    out.resize(size);
    const std::string delimiter = "\r\n--XyZ-b0undary";
    for (auto at = out.find(delimiter); at != std::string::npos; at = out.find(delimiter, at))
        out[at + delimiter.size() - 1] = 'Y';
    return out;
}

TEST(MultipartScanner, ReadsEveryPartWhateverPiecesTheSourceDelivers) {
    const std::string image = tricky_bytes(3 * kBlock + 123, 1);
    const std::string body = form({field("analysis_type", "pest"),
                                   {"Content-Disposition: form-data; name=\"image\"; "
                                    "filename=\"leaf.jpg\"\r\nContent-Type: image/jpeg",
                                    image},
                                   field("confidence_threshold", "0.5"),
                                   field("empty", "")});
    for (std::size_t piece : {1ul, 2ul, 3ul, 17ul, 4096ul, kBlock - 1, kBlock, 10 * kBlock}) {
        SCOPED_TRACE("pieces of " + std::to_string(piece));
        PiecewiseSource source(body, piece);
        MultipartScanner scanner(source, "XyZ-b0undary");
        const auto parts = read_all(scanner);
        ASSERT_EQ(parts.size(), 4u);
        EXPECT_EQ(parts[0].disposition, "form-data; name=\"analysis_type\"");
        EXPECT_EQ(parts[0].body, "pest");
        EXPECT_EQ(parts[1].disposition, "form-data; name=\"image\"; filename=\"leaf.jpg\"");
        EXPECT_EQ(parts[1].body, image);
        EXPECT_EQ(parts[2].body, "0.5");
        EXPECT_EQ(parts[3].body, "");
        // Up to the closing delimiter, and the CRLF after it only if it came in the same read.
        EXPECT_GE(scanner.consumed(), body.size() - 2);
        scanner.skip_epilogue();
        EXPECT_EQ(scanner.consumed(), body.size());
    }
}

TEST(MultipartScanner, FindsADelimiterThatStraddlesTheEndOfABlock) {
    const std::string delimiter = "\r\n--XyZ-b0undary";
    const std::size_t opening =
        ("--XyZ-b0undary\r\n"s + field("image", "").header + "\r\n\r\n").size();
    for (std::size_t shift = 0; shift <= delimiter.size() + 1; ++shift) {
        // The part body ends `shift` bytes before the end of the first block.
        const std::size_t size = kBlock - opening - shift;
        const std::string image = tricky_bytes(size, static_cast<unsigned>(shift));
        const auto parts = read_all(form({field("image", image)}), 4096);
        ASSERT_EQ(parts.size(), 1u) << "shift " << shift;
        EXPECT_EQ(parts[0].body, image) << "shift " << shift;
    }
}

TEST(MultipartScanner, HandsLargeBodiesOnInBlockSizedSpans) {
    const std::string image = tricky_bytes(10 * kBlock, 2);
    const auto parts = read_all(form({field("image", image)}), 4096);
    ASSERT_EQ(parts.size(), 1u);
    EXPECT_EQ(parts[0].body, image);
    EXPECT_LE(parts[0].spans, 12u);  // one span per block, not one per piece or per line
}

TEST(MultipartScanner, SkipsThePreambleAndTransportPaddingAndAcceptsBareLineFeeds) {
    const std::string body =
        "a preamble\r\nthat clients may send\r\n"
        "--B  \t\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\none\r\n"
        "--B\nContent-Disposition: form-data; name=\"b\"\n\ntwo\r\n--B--";
    const auto parts = read_all(body, 5, "B");
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(parts[0].body, "one");
    EXPECT_EQ(parts[1].disposition, "form-data; name=\"b\"");
    EXPECT_EQ(parts[1].body, "two");
}

TEST(MultipartScanner, SkipsAPartWhoseBodyWasNotRead) {
    PiecewiseSource source(form({field("a", tricky_bytes(2 * kBlock, 3)), field("b", "two")}), 999);
    MultipartScanner scanner(source, "XyZ-b0undary");
    Poco::Net::MessageHeader header;
    ASSERT_TRUE(scanner.next_part(header));
    header.clear();
    ASSERT_TRUE(scanner.next_part(header));
    EXPECT_EQ(header.get("Content-Disposition"), "form-data; name=\"b\"");
    std::string body;
    scanner.read_body([&](const char* data, std::size_t size) { body.append(data, size); });
    EXPECT_EQ(body, "two");
    header.clear();
    EXPECT_FALSE(scanner.next_part(header));
}

TEST(MultipartScanner, NeverReadsPastTheClosingDelimiter) {
    const std::string body = form({field("a", "one"), field("image", tricky_bytes(70000, 4))});
    for (std::size_t piece : {1ul, 100ul, 4096ul, body.size()}) {
        PiecewiseSource source(body, piece, /*endless=*/true);
        MultipartScanner scanner(source, "XyZ-b0undary");
        EXPECT_EQ(read_all(scanner).size(), 2u) << "pieces of " << piece;
    }
}

TEST(MultipartScanner, SkipEpilogueReadsToTheEndOfTheSource) {
    const std::string body = form({field("a", "one")}) + "an epilogue";
    PiecewiseSource source(body, 7);
    MultipartScanner scanner(source, "XyZ-b0undary");
    read_all(scanner);
    EXPECT_LT(scanner.consumed(), body.size());
    scanner.skip_epilogue();
    EXPECT_EQ(scanner.consumed(), body.size());
}

void expect_malformed(const std::string& body, const std::string& why) {
    for (std::size_t piece : {1ul, 4096ul}) {
        PiecewiseSource source(body, piece);
        MultipartScanner scanner(source, "B");
        try {
            read_all(scanner);
            ADD_FAILURE() << "no error for " << why;
        } catch (const MultipartError& e) {
            EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
        }
    }
}

TEST(MultipartScanner, RejectsBodiesThatAreCutShortOrMalformed) {
    const std::string part = "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n";
    expect_malformed("", "before the closing boundary");
    expect_malformed(part + "value", "before the closing boundary");
    expect_malformed(part + "value\r\n--B", "right after a boundary");
    expect_malformed(part + "value\r\n--Bx\r\n", "unexpected bytes after a boundary");
    expect_malformed("--B\r\nContent-Disposition: form-data", "inside a part's header");
    expect_malformed("--B\r\n" + std::string(9000, 'h') + "\r\n\r\n", "header is longer");
    expect_malformed("--B\r\nX: " + std::string(9000, 'h'), "header is longer");
    expect_malformed(std::string(MultipartScanner::kMaxPreambleBytes + kBlock, 'p') + part,
                     "no boundary in the first");
    expect_malformed("--B" + std::string(300, ' ') + "\r\n", "does not end");
}

TEST(MultipartScanner, PassesTheSourcesErrorsOn) {
    const std::string body = "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue";
    PiecewiseSource source(body, 10, /*endless=*/true);
    MultipartScanner scanner(source, "B");
    try {
        read_all(scanner);
        ADD_FAILURE() << "no error";
    } catch (const MultipartError& e) {
        ADD_FAILURE() << "the source's error became " << e.what();
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "read past the end of the body");
    }
}

}  // namespace
}  // namespace visiongw::core
