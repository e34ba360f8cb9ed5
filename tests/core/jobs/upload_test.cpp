#include "jobs/upload.h"

#include <gtest/gtest.h>

#include "jobs/job_error.h"
#include "jobs/sha256.h"
#include "upload_test_support.h"

namespace visiongw::core {
namespace {

using namespace upload_testing;

// Keeps what one upload wrote in memory.
class RecordingStorage : public sdk::StorageBackend {
public:
    std::unique_ptr<sdk::BlobWriter> begin_write() override {
        ++begun;
        return std::make_unique<Writer>(written);
    }
    std::optional<sdk::BlobStat> stat(std::string_view) override { return std::nullopt; }
    std::unique_ptr<std::istream> open(std::string_view) override { return nullptr; }
    bool remove(std::string_view) override { return false; }
    std::vector<sdk::BlobStat> expired(std::chrono::system_clock::time_point) override {
        return {};
    }
    sdk::StorageStats stats(std::chrono::system_clock::time_point) override { return {}; }
    void configure(const sdk::PluginConfig&, sdk::PluginContext&) override {}
    sdk::Health health() override { return {true, "in memory"}; }

    int begun = 0;
    std::string written;

private:
    class Writer : public sdk::BlobWriter {
    public:
        explicit Writer(std::string& written) : written_(written) {}
        void write(const char* data, std::size_t size) override { written_.append(data, size); }
        sdk::StoredBlob commit(std::string_view, std::string_view) override { return {}; }
        void abort() noexcept override {}

    private:
        std::string& written_;
    };
};

const UploadLimits kLimits{10 * 1024 * 1024, 4096, {100'000'000, {ImageFormat::jpeg}}};

// A JPEG with `metadata` bytes of segments before its frame header, then `tail` bytes of scan.
std::string jpeg(std::size_t metadata, std::size_t tail) {
    std::string image = "\xFF\xD8"s + jfif();
    for (; metadata > 0; metadata -= std::min<std::size_t>(metadata, 60000))
        image += jpeg_segment('\xE1', std::string(std::min<std::size_t>(metadata, 60000), 'm'));
    return image + jpeg_frame(640, 480) + jpeg_scan() + std::string(tail, 's');
}

std::string sha256_of(const std::string& bytes) {
    Sha256 sha;
    sha.update(bytes.data(), bytes.size());
    return sha.hex();
}

Part image_part(const std::string& bytes) {
    return {
        "Content-Disposition: form-data; name=\"image\"; filename=\"leaf.jpg\"\r\n"
        "Content-Type: image/jpeg",
        bytes};
}

TEST(ReceiveUpload, StoresTheImageWhateverPiecesItArrivesIn) {
    // The header in the part's first span, ~120 KB into the image (pieced together first), and
    // past the bytes held before storage starts (probed while the image is stored).
    for (const std::string& image :
         {jpeg(0, 200'000), jpeg(120'000, 100'000), jpeg(400'000, 100'000)}) {
        const std::string body = form({field("analysis_type", "pest"), image_part(image),
                                       field("confidence_threshold", "0.7")});
        for (std::size_t piece : {std::size_t{7}, std::size_t{64 * 1024}, body.size()}) {
            RecordingStorage storage;
            PiecewiseSource source(body, piece);
            std::istream stream(&source);
            ReceivedUpload upload =
                receive_upload(stream, body.size(), "XyZ-b0undary", storage, kLimits);
            const std::string where = "image of " + std::to_string(image.size()) +
                                      " bytes in pieces of " + std::to_string(piece);
            EXPECT_EQ(storage.begun, 1) << where;
            EXPECT_TRUE(storage.written == image) << where;
            EXPECT_EQ(upload.size, image.size()) << where;
            EXPECT_EQ(upload.sha256, sha256_of(image)) << where;
            EXPECT_EQ(upload.image.width, 640u) << where;
            EXPECT_EQ(upload.image.height, 480u) << where;
            EXPECT_EQ(upload.fields.at("confidence_threshold"), "0.7") << where;
            EXPECT_EQ(upload.original_filename, "leaf.jpg") << where;
        }
    }
}

TEST(ReceiveUpload, StartsNoStorageForWhatIsNotAnAcceptedImage) {
    const std::pair<std::string, JobErrorKind> cases[] = {
        {"%PDF-1.7\n" + std::string(200'000, 'p'), JobErrorKind::unsupported_media},
        {"\xFF\xD8"s + jfif() + jpeg_frame(0, 480) + jpeg_scan(), JobErrorKind::rejected},
        {"\x89PNG\r\n\x1A\n"s + be(13, 4) + "IHDR" + be(64, 4) + be(64, 4) + "\x08\x02\0\0\0"s,
         JobErrorKind::unsupported_media},  // PNG is not in the policy's formats
    };
    for (const auto& [bytes, kind] : cases) {
        for (std::size_t piece : {std::size_t{5}, std::size_t{64 * 1024}}) {
            RecordingStorage storage;
            const std::string body = form({image_part(bytes)});
            PiecewiseSource source(body, piece);
            std::istream stream(&source);
            try {
                receive_upload(stream, body.size(), "XyZ-b0undary", storage, kLimits);
                ADD_FAILURE() << "accepted " << bytes.substr(0, 8);
            } catch (const JobError& error) {
                EXPECT_EQ(error.kind, kind) << error.what();
            }
            EXPECT_EQ(storage.begun, 0);
        }
    }
}

// A header past the bytes held before storage starts: a format the policy refuses is refused
// before storage starts, a bomb is refused when its header arrives, and what was written goes.
TEST(ReceiveUpload, ProbesALateHeaderWhileStoring) {
    const std::string late_tiff = "II*\0"s + "\x08\xA0\x06\0"s + std::string(0x6A000, 'p') +
                                  "\x01\0"s + "\x00\x01\x04\0\x01\0\0\0"s + "\x40\0\0\0"s;
    RecordingStorage storage;
    const std::string body = form({image_part(late_tiff)});
    PiecewiseSource source(body, 64 * 1024);
    std::istream stream(&source);
    try {
        receive_upload(stream, body.size(), "XyZ-b0undary", storage, kLimits);
        ADD_FAILURE() << "a TIFF was accepted by a JPEG-only policy";
    } catch (const JobError& error) {
        EXPECT_EQ(error.kind, JobErrorKind::unsupported_media) << error.what();
    }
    EXPECT_EQ(storage.begun, 0);

    std::string bomb = "\xFF\xD8"s;
    while (bomb.size() < 400'000)
        bomb += jpeg_segment('\xE1', std::string(60000, 'm'));
    bomb += jpeg_frame(60000, 60000) + jpeg_scan();
    const UploadLimits limits{10 * 1024 * 1024, 4096, {40'000'000, {ImageFormat::jpeg}}};
    const std::string bomb_body = form({image_part(bomb)});
    PiecewiseSource bomb_source(bomb_body, 64 * 1024);
    std::istream bomb_stream(&bomb_source);
    try {
        receive_upload(bomb_stream, bomb_body.size(), "XyZ-b0undary", storage, limits);
        ADD_FAILURE() << "a 60000x60000 JPEG was accepted";
    } catch (const JobError& error) {
        EXPECT_EQ(error.kind, JobErrorKind::rejected) << error.what();
        EXPECT_STREQ(error.what(), "image has 3600000000 pixels, limit is 40000000");
    }
    EXPECT_EQ(storage.begun, 1) << "storage started once the held bytes were exhausted";
}

}  // namespace
}  // namespace visiongw::core
