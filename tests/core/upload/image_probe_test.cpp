#include "image_probe.h"

#include <gtest/gtest.h>

#include <random>
#include <stdexcept>
#include <vector>

#include "upload_test_support.h"

namespace visiongw::core {
namespace {

using namespace std::string_literals;
using namespace upload_testing;

std::string png(std::uint32_t width, std::uint32_t height) {
    return "\x89PNG\r\n\x1A\n"s + be(13, 4) + "IHDR" + be(width, 4) + be(height, 4) +
           "\x08\x02\0\0\0"s + be(0, 4) + be(0, 4) + "IEND" + be(0, 4);
}

std::string gif_without_frames(std::uint16_t width, std::uint16_t height) {
    return "GIF89a" + le(width, 2) + le(height, 2) + "\0\0\0;"s;
}

std::string bmp(std::int32_t width, std::int32_t height) {
    return "BM" + le(58, 4) + le(0, 4) + le(54, 4) + le(40, 4) +
           le(static_cast<std::uint32_t>(width), 4) + le(static_cast<std::uint32_t>(height), 4) +
           le(1, 2) + le(24, 2) + std::string(24, '\0') + "\xFF\0\0\0"s;
}

std::string bmp_core(std::uint16_t width, std::uint16_t height) {
    return "BM" + le(30, 4) + le(0, 4) + le(26, 4) + le(12, 4) + le(width, 2) + le(height, 2) +
           le(1, 2) + le(24, 2) + "\xFF\0\0\0"s;
}

std::string riff(const std::string& chunk) {
    return "RIFF" + le(static_cast<std::uint32_t>(chunk.size() + 4), 4) + "WEBP" + chunk;
}
std::string webp_lossy(std::uint16_t width, std::uint16_t height) {
    const std::string frame = "\x30\x01\x00\x9D\x01\x2A"s + le(width, 2) + le(height, 2) + "data";
    return riff("VP8 " + le(static_cast<std::uint32_t>(frame.size()), 4) + frame);
}
std::string webp_lossless(std::uint32_t width, std::uint32_t height) {
    const std::string bits = le((width - 1) | (height - 1) << 14, 4);
    return riff("VP8L" + le(5, 4) + "\x2F" + bits);
}
std::string webp_extended(std::uint32_t width, std::uint32_t height) {
    return riff("VP8X" + le(10, 4) + le(0, 4) + le(width - 1, 3) + le(height - 1, 3));
}

// A TIFF whose IFD0 holds ImageWidth as SHORT and ImageLength as LONG.
std::string tiff(bool little_endian, std::uint16_t width, std::uint32_t height) {
    const auto n = [&](std::uint32_t value, int bytes) {
        return little_endian ? le(value, bytes) : be(value, bytes);
    };
    const std::string short_value = n(width, 2) + "\0\0"s;
    return (little_endian ? "II*\0"s : "MM\0*"s) + n(8, 4) + n(3, 2) +  //
           n(254, 2) + n(4, 2) + n(1, 4) + n(0, 4) +                    // NewSubfileType
           n(256, 2) + n(3, 2) + n(1, 4) + short_value +                // ImageWidth
           n(257, 2) + n(4, 2) + n(1, 4) + n(height, 4) +               // ImageLength
           n(0, 4);
}

std::string jpeg(std::uint16_t width, std::uint16_t height) {
    return "\xFF\xD8"s + jfif() + jpeg_frame(width, height) + jpeg_scan();
}

struct GifFrame {
    std::uint16_t left, top, width, height;
    std::size_t data_bytes;  // LZW data, in sub-blocks of up to 255 bytes
};

// A GIF89a with a global colour table and, per frame, a graphic control extension, a local
// colour table and data sub-blocks; ends with the trailer.
std::string gif(std::uint16_t width, std::uint16_t height, const std::vector<GifFrame>& frames) {
    std::string out = "GIF89a" + le(width, 2) + le(height, 2) + "\x80\0\0"s + std::string(6, 'c');
    for (const GifFrame& frame : frames) {
        out += "\x21\xF9\x04\0\0\0\0\0"s;
        out += "\x2C" + le(frame.left, 2) + le(frame.top, 2) + le(frame.width, 2) +
               le(frame.height, 2) + "\x81" + std::string(12, 'l') + "\x02";
        for (std::size_t left = frame.data_bytes; left > 0;) {
            const std::size_t block = std::min<std::size_t>(left, 255);
            out += static_cast<char>(block) + std::string(block, '\x3B');  // trailer-like bytes
            left -= block;
        }
        out += '\0';
    }
    return out + ";";
}

// What ImageProbe answers when the whole upload arrives in pieces of `piece` bytes.
ProbeResult probe_in_pieces(std::string_view bytes, std::size_t piece) {
    ImageProbe probe;
    for (; !bytes.empty(); bytes.remove_prefix(std::min(piece, bytes.size())))
        probe.feed(bytes.substr(0, piece));
    return probe.finish();
}

void expect_image(const std::string& bytes, ImageFormat format, std::uint32_t width,
                  std::uint32_t height) {
    const ProbeResult result = probe_image(bytes, true);
    ASSERT_EQ(result.status, ProbeStatus::ok) << result.reason;
    ASSERT_TRUE(result.image.has_value());
    EXPECT_EQ(result.image->format, format);
    EXPECT_EQ(result.image->width, width);
    EXPECT_EQ(result.image->height, height);
    for (std::size_t piece : {1, 5, 4096}) {
        const ProbeResult pieced = probe_in_pieces(bytes, piece);
        ASSERT_EQ(pieced.status, ProbeStatus::ok)
            << "in pieces of " << piece << ": " << pieced.reason;
        EXPECT_EQ(pieced.image->width, width) << "in pieces of " << piece;
        EXPECT_EQ(pieced.image->height, height) << "in pieces of " << piece;
    }
}

void expect_rejected(const std::string& bytes, bool complete, const std::string& reason) {
    const ProbeResult result = probe_image(bytes, complete);
    EXPECT_EQ(result.status, ProbeStatus::rejected);
    EXPECT_FALSE(result.image.has_value());
    EXPECT_NE(result.reason.find(reason), std::string::npos) << result.reason;
}

TEST(ImageProbe, RecognisesEachFormatWithItsDimensions) {
    expect_image(jpeg(640, 480), ImageFormat::jpeg, 640, 480);
    expect_image(png(1920, 1080), ImageFormat::png, 1920, 1080);
    expect_image(gif_without_frames(320, 200), ImageFormat::gif, 320, 200);
    expect_image(bmp(800, 600), ImageFormat::bmp, 800, 600);
    expect_image(bmp_core(17, 9), ImageFormat::bmp, 17, 9);
    expect_image(webp_lossy(550, 368), ImageFormat::webp, 550, 368);
    expect_image(webp_lossless(386, 395), ImageFormat::webp, 386, 395);
    expect_image(webp_extended(16383, 70000), ImageFormat::webp, 16383, 70000);
    expect_image(tiff(true, 1024, 768), ImageFormat::tiff, 1024, 768);
    expect_image(tiff(false, 4000, 100000), ImageFormat::tiff, 4000, 100000);
}

TEST(ImageProbe, NamesExtensionAndMimeType) {
    const ProbeResult result = probe_image(jpeg(2, 3), true);
    ASSERT_TRUE(result.image.has_value());
    EXPECT_EQ(result.image->extension(), "jpg");
    EXPECT_EQ(result.image->mime_type(), "image/jpeg");
    EXPECT_EQ(format_name(ImageFormat::jpeg), "jpeg");
    EXPECT_EQ(format_extension(ImageFormat::tiff), "tiff");
    EXPECT_EQ(format_mime_type(ImageFormat::webp), "image/webp");
    EXPECT_EQ(result.image->pixels(), 6u);
}

TEST(ImageProbe, TopDownBmpHasPositiveHeight) {
    expect_image(bmp(800, -600), ImageFormat::bmp, 800, 600);
}

TEST(ImageProbe, FindsJpegFrameAfterLargeExifSegment) {
    const std::string exif = jpeg_segment('\xE1', "Exif\0\0"s + std::string(60000, 'x'));
    const std::string image = "\xFF\xD8"s + jfif() + exif + jpeg_frame(3000, 2000) + jpeg_scan();
    expect_image(image, ImageFormat::jpeg, 3000, 2000);
}

TEST(ImageProbe, AsksForMoreUntilTheHeaderArrives) {
    const std::string exif = jpeg_segment('\xE1', std::string(50000, 'x'));
    const std::string image = "\xFF\xD8"s + exif + jpeg_frame(64, 48) + jpeg_scan();
    const std::size_t header_end = image.size() - jpeg_scan().size();
    for (std::size_t size = 0; size < header_end; size += 4096) {
        EXPECT_EQ(probe_image(std::string_view(image).substr(0, size), false).status,
                  ProbeStatus::need_more)
            << "at " << size << " bytes";
    }
    EXPECT_EQ(probe_image(std::string_view(image).substr(0, header_end), false).status,
              ProbeStatus::ok);
}

TEST(ImageProbe, ShortPrefixNeedsMore) {
    EXPECT_EQ(probe_image("", false).status, ProbeStatus::need_more);
    EXPECT_EQ(probe_image("\x89PN", false).status, ProbeStatus::need_more);
    EXPECT_EQ(probe_image(png(10, 10).substr(0, 16), false).status, ProbeStatus::need_more);
    EXPECT_EQ(probe_image("RIFF", false).status, ProbeStatus::need_more);
}

TEST(ImageProbe, OtherContentIsNotAnImage) {
    const std::string random_bytes = [] {
        std::mt19937 generator(42);
        std::string bytes(4096, '\0');
        for (char& c : bytes)
            c = static_cast<char>(generator());
        return bytes;
    }();
    for (const std::string& bytes :
         {"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n"s, "#!/bin/sh\nrm -rf /\n"s, random_bytes,
          "RIFF\x24\0\0\0WAVEfmt "s, "GIF90a"s, ""s}) {
        const ProbeResult result = probe_image(bytes, true);
        EXPECT_EQ(result.status, ProbeStatus::not_an_image) << bytes.substr(0, 8);
        EXPECT_NE(result.reason.find("jpeg, png, webp, gif, bmp, tiff"), std::string::npos);
    }
    // A mismatch is final even while more bytes may come.
    EXPECT_EQ(probe_image("%PDF", false).status, ProbeStatus::not_an_image);
}

TEST(ImageProbe, RejectsZeroDimensions) {
    expect_rejected(png(0, 10), true, "PNG has zero width");
    expect_rejected(gif_without_frames(10, 0), true, "GIF has zero height");
    expect_rejected(jpeg(0, 10), true, "JPEG has zero width");
}

TEST(ImageProbe, RejectsTruncatedHeadersOfCompleteUploads) {
    expect_rejected(png(10, 10).substr(0, 20), true, "PNG header truncated");
    const std::string image = jpeg(10, 10);
    expect_rejected(image.substr(0, image.find("\xFF\xC2") + 6), true, "JPEG header truncated");
    expect_rejected("\x89PNG\r\n\x1A\n", true, "PNG header truncated");
}

// Cameras write EXIF with thumbnails and ICC profiles of several hundred KiB before the frame.
TEST(ImageProbe, FindsJpegFrameAfterMoreThanAQuarterMebibyteOfAppSegments) {
    std::string image = "\xFF\xD8"s;
    while (image.size() <= 1024 * 1024)
        image += jpeg_segment('\xE2', std::string(65000, 'x'));
    image += jpeg_frame(4000, 3000) + jpeg_scan();
    expect_image(image, ImageFormat::jpeg, 4000, 3000);
}

// libtiff writes the strips first and IFD0 after them, at the end of the file.
TEST(ImageProbe, FindsTiffIfdAfterThePixelData) {
    expect_image(tiff_with_ifd_after(3 * 1024 * 1024, 1024, 768), ImageFormat::tiff, 1024, 768);
    const std::string image = tiff_with_ifd_after(300'000, 10, 10);
    EXPECT_EQ(probe_image(std::string_view(image).substr(0, 300'000), false).status,
              ProbeStatus::need_more);
    expect_rejected(image.substr(0, 300'000), true, "TIFF header truncated");
}

TEST(ImageProbe, HoldsOnlyAFewDozenBytesWhereverTheHeaderLies) {
    EXPECT_LE(sizeof(ImageProbe), 256u);
}

TEST(ImageProbe, GifCanvasHoldsEveryFrame) {
    expect_image(gif(64, 48, {{0, 0, 64, 48, 600}, {10, 10, 20, 20, 100}}), ImageFormat::gif, 64,
                 48);
    // A 1x1 logical screen does not hide a 65535x65535 frame from the pixel limit.
    const std::string bomb = gif(1, 1, {{0, 0, 65535, 65535, 10}});
    expect_image(bomb, ImageFormat::gif, 65535, 65535);
    const auto error = check_image_policy(*probe_image(bomb, true).image,
                                          ImagePolicy{40'000'000, {ImageFormat::gif}});
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->violation, PolicyViolation::too_many_pixels);
    // Nor does a frame placed off the screen, or one after a megabyte of earlier frames.
    expect_image(gif(100, 100, {{60000, 0, 100, 100, 50}}), ImageFormat::gif, 60100, 100);
    expect_image(gif(100, 100, {{0, 0, 100, 100, 1'000'000}, {0, 0, 100, 50000, 10}}),
                 ImageFormat::gif, 100, 50000);
}

TEST(ImageProbe, GifWaitsForItsTrailerAndEndsAtItsLastWholeFrame) {
    const std::string image = gif(20, 20, {{0, 0, 20, 20, 300}, {0, 0, 40, 40, 300}});
    const std::size_t second_frame = image.find('\x2C', image.find('\x2C') + 1);
    EXPECT_EQ(probe_image(image.substr(0, second_frame), false).status, ProbeStatus::need_more);
    expect_image(image.substr(0, second_frame), ImageFormat::gif, 20, 20);
    expect_image(image.substr(0, second_frame + 10), ImageFormat::gif, 40, 40);
    std::string unknown_block = gif(20, 20, {{0, 0, 20, 20, 300}});
    unknown_block.back() = '\x99';
    expect_rejected(unknown_block, true, "GIF has an unknown block 0x99 at offset");
    expect_rejected("GIF89a\x10\0\x10\0"s, true, "GIF header truncated");
}

TEST(ImageProbe, RejectsMalformedHeaders) {
    expect_rejected("\xFF\xD8"s + jfif() + jpeg_scan(), true, "no frame header");
    expect_rejected("\xFF\xD8\xFF\xE0\x00\x01"s, true, "shorter than its length field");
    expect_rejected("\xFF\xD8\xFF\xE0\x00\x04\0\0\x42"s, true, "no segment marker at offset 8");
    expect_rejected(riff("ALPH" + le(4, 4) + "abcd"), true, "unknown chunk \"ALPH\"");
    std::string no_ihdr = png(5, 5);
    no_ihdr.replace(12, 4, "iTXt");
    expect_rejected(no_ihdr, true, "IHDR");
    std::string odd_bmp = bmp(5, 5);
    odd_bmp[14] = 7;
    expect_rejected(odd_bmp, true, "unknown header size of 7 bytes");
    expect_rejected("II*\0"s + le(8, 4) + le(0, 2), true, "lacks the ImageWidth");
    EXPECT_EQ(probe_image("II*\0"s + le(10'000'000, 4), false).status, ProbeStatus::need_more);
    expect_rejected("II*\0"s + le(10'000'000, 4), true, "TIFF header truncated");
}

TEST(ImagePolicy, RejectsDecompressionBombs) {
    const ProbeResult result = probe_image(png(100000, 100000), true);
    ASSERT_EQ(result.status, ProbeStatus::ok);
    const ImagePolicy policy{40'000'000, {ImageFormat::png}};
    const auto error = check_image_policy(*result.image, policy);
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->violation, PolicyViolation::too_many_pixels);
    EXPECT_EQ(error->reason, "image has 10000000000 pixels, limit is 40000000");
}

TEST(ImagePolicy, RejectsFormatsNotAllowed) {
    const ImagePolicy policy{40'000'000, {ImageFormat::png, ImageFormat::jpeg}};
    const auto error = check_image_policy(ImageInfo{ImageFormat::gif, 10, 10}, policy);
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->violation, PolicyViolation::format_not_allowed);
    EXPECT_EQ(error->reason, "gif images are not accepted; allowed formats: jpeg, png");
}

TEST(ImagePolicy, AcceptsImagesWithinLimits) {
    const ImagePolicy policy{100, {ImageFormat::bmp}};
    EXPECT_FALSE(check_image_policy(ImageInfo{ImageFormat::bmp, 10, 10}, policy).has_value());
}

TEST(ImageFormats, ParsesNameList) {
    EXPECT_EQ(parse_image_formats("jpeg,png,webp,gif,bmp,tiff").size(), 6u);
    EXPECT_EQ(parse_image_formats(" JPEG , png"),
              (std::set<ImageFormat>{ImageFormat::jpeg, ImageFormat::png}));
}

TEST(ImageFormats, RejectsUnknownOrEmptyNames) {
    try {
        parse_image_formats("jpeg,jpg");
        FAIL() << "jpg accepted";
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(),
                     "unknown image format \"jpg\"; known: jpeg, png, webp, gif, bmp, tiff");
    }
    EXPECT_THROW(parse_image_formats(""), std::invalid_argument);
    EXPECT_THROW(parse_image_formats("png,,gif"), std::invalid_argument);
    EXPECT_THROW(parse_image_formats("png,"), std::invalid_argument);
}

}  // namespace
}  // namespace visiongw::core
