#include "builtin_analyzer.h"

// clang-format off
#include <cstdio>  // jpeglib.h needs FILE first
#include <jpeglib.h>
// clang-format on
#include <png.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <csetjmp>
#include <string>
#include <vector>

namespace visiongw::worker::reference {
namespace {

constexpr unsigned kLongestJpegSide = 1024;

enum class ImageFormat { jpeg, png, other };

ImageFormat sniff(std::FILE* file) {
    std::array<unsigned char, 8> magic{};
    std::size_t count = std::fread(magic.data(), 1, magic.size(), file);
    std::rewind(file);
    if (count >= 3 && magic[0] == 0xFF && magic[1] == 0xD8 && magic[2] == 0xFF) {
        return ImageFormat::jpeg;
    }
    if (count == 8 && png_sig_cmp(magic.data(), 0, 8) == 0)
        return ImageFormat::png;
    return ImageFormat::other;
}

// What a decoder saw; `stopped` when the analysis was cancelled half-way.
struct Scan {
    unsigned width = 0;
    unsigned height = 0;
    ColourTally tally;
    bool stopped = false;
};

// Adds one decoded RGB row and reports progress; false once the analysis should stop.
bool take_row(AnalysisContext& context, Scan& scan, const unsigned char* rgb, unsigned pixels,
              unsigned rows_done, unsigned rows_total) {
    for (unsigned i = 0; i < pixels; ++i)
        scan.tally.add(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]);
    context.progress(static_cast<int>(100ULL * rows_done / rows_total));
    scan.stopped = context.cancelled();
    return !scan.stopped;
}

AnalysisError undecodable(const std::string& what) {
    return AnalysisError("undecodable_image", what, false);
}

struct JpegFailure {
    jpeg_error_mgr manager;
    std::jmp_buf jump;
};

[[noreturn]] void on_jpeg_error(j_common_ptr decoder) {
    std::longjmp(reinterpret_cast<JpegFailure*>(decoder->err)->jump, 1);
}

void on_jpeg_message(j_common_ptr) {}

// No object with a destructor lives between setjmp and a libjpeg call that may longjmp.
Scan scan_jpeg(AnalysisContext& context, std::FILE* file) {
    Scan scan;
    jpeg_decompress_struct decoder{};
    JpegFailure failure{};
    char message[JMSG_LENGTH_MAX] = {};
    decoder.err = jpeg_std_error(&failure.manager);
    failure.manager.error_exit = on_jpeg_error;
    failure.manager.output_message = on_jpeg_message;
    if (setjmp(failure.jump)) {
        (*decoder.err->format_message)(reinterpret_cast<j_common_ptr>(&decoder), message);
        jpeg_destroy_decompress(&decoder);
        throw undecodable(std::string("JPEG: ") + message);
    }
    jpeg_create_decompress(&decoder);
    jpeg_stdio_src(&decoder, file);
    jpeg_read_header(&decoder, TRUE);
    scan.width = decoder.image_width;
    scan.height = decoder.image_height;
    decoder.out_color_space = JCS_RGB;
    decoder.scale_num = 1;
    decoder.scale_denom = 1;
    while (decoder.scale_denom < 8 &&
           std::max(scan.width, scan.height) / decoder.scale_denom > kLongestJpegSide) {
        decoder.scale_denom *= 2;
    }
    jpeg_start_decompress(&decoder);
    JSAMPARRAY row =
        (*decoder.mem->alloc_sarray)(reinterpret_cast<j_common_ptr>(&decoder), JPOOL_IMAGE,
                                     decoder.output_width * decoder.output_components, 1);
    while (decoder.output_scanline < decoder.output_height) {
        jpeg_read_scanlines(&decoder, row, 1);
        if (!take_row(context, scan, row[0], decoder.output_width, decoder.output_scanline,
                      decoder.output_height)) {
            break;
        }
    }
    jpeg_destroy_decompress(&decoder);
    return scan;
}

struct PngFailure {
    std::string message;
};

[[noreturn]] void on_png_error(png_structp png, png_const_charp message) {
    static_cast<PngFailure*>(png_get_error_ptr(png))->message = message;
    png_longjmp(png, 1);
}

void on_png_warning(png_structp, png_const_charp) {}

// An interlaced PNG is read pass by pass without de-interlacing: each pixel arrives exactly
// once, which is all colour counting needs, and no more than one row is held.
Scan scan_png(AnalysisContext& context, std::FILE* file) {
    Scan scan;
    PngFailure failure;
    std::vector<unsigned char> row;
    png_structp png =
        png_create_read_struct(PNG_LIBPNG_VER_STRING, &failure, on_png_error, on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : nullptr;
    if (info == nullptr) {
        png_destroy_read_struct(&png, nullptr, nullptr);
        throw std::bad_alloc();
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, nullptr);
        throw undecodable("PNG: " + failure.message);
    }
    png_init_io(png, file);
    png_read_info(png, info);
    scan.width = png_get_image_width(png, info);
    scan.height = png_get_image_height(png, info);
    png_set_expand(png);
    png_set_strip_16(png);
    png_set_gray_to_rgb(png);
    png_set_strip_alpha(png);
    png_read_update_info(png, info);
    row.resize(png_get_rowbytes(png, info));
    const bool interlaced = png_get_interlace_type(png, info) == PNG_INTERLACE_ADAM7;
    const int passes = interlaced ? 7 : 1;
    unsigned rows_total = 0;
    for (int pass = 0; pass < passes; ++pass) {
        unsigned cols = interlaced ? PNG_PASS_COLS(scan.width, pass) : scan.width;
        rows_total += cols == 0 ? 0 : interlaced ? PNG_PASS_ROWS(scan.height, pass) : scan.height;
    }
    unsigned rows_done = 0;
    for (int pass = 0; pass < passes && !scan.stopped; ++pass) {
        unsigned cols = interlaced ? PNG_PASS_COLS(scan.width, pass) : scan.width;
        unsigned rows = interlaced ? PNG_PASS_ROWS(scan.height, pass) : scan.height;
        if (cols == 0)
            continue;
        for (unsigned y = 0; y < rows; ++y) {
            png_read_row(png, row.data(), nullptr);
            if (!take_row(context, scan, row.data(), cols, ++rows_done, rows_total))
                break;
        }
    }
    png_destroy_read_struct(&png, &info, nullptr);
    return scan;
}

double rounded(double value) {
    return std::round(value * 10000) / 10000;
}

double share(std::uint64_t count, std::uint64_t total) {
    return total == 0 ? 0 : rounded(static_cast<double>(count) / static_cast<double>(total));
}

std::string percent(double fraction) {
    return std::to_string(static_cast<int>(std::lround(fraction * 100))) + "%";
}

// The colour statistics, shaped by analysis type: `pest` and `disease` name the finding in
// their terms, `comprehensive` adds the dominant colour; all are colour counts only.
Poco::JSON::Object::Ptr report(const Scan& scan, const char* format, const Job& job) {
    const ColourTally& tally = scan.tally;
    const std::uint64_t pixels = tally.pixels();
    const double lesion_score = rounded(tally.lesion_score());
    double threshold = 0.5;
    if (job.parameters->has("confidence_threshold") &&
        job.parameters->get("confidence_threshold").isNumeric()) {
        threshold = job.parameters->getValue<double>("confidence_threshold");
    }
    const bool discoloured = lesion_score >= threshold;

    Poco::JSON::Object::Ptr shares = new Poco::JSON::Object;
    shares->set("green", share(tally.green, pixels));
    shares->set("yellow", share(tally.yellow, pixels));
    shares->set("brown", share(tally.brown, pixels));
    shares->set("other", share(tally.other, pixels));

    Poco::JSON::Object::Ptr result = new Poco::JSON::Object;
    result->set("analyzer", "builtin-demo");
    result->set("note",
                "demonstration analyzer: colour statistics by fixed HSV rules, not a trained "
                "plant-health model");
    result->set("analysis_type", job.analysis_type);
    result->set("format", format);
    result->set("width", scan.width);
    result->set("height", scan.height);
    result->set("pixels_analyzed", pixels);
    result->set("colour_shares", shares);
    result->set("lesion_score", lesion_score);
    result->set("threshold", threshold);
    result->set("discoloured", discoloured);
    const std::string measured =
        percent(lesion_score) + " of the plant-coloured pixels are yellow or brown";
    if (job.analysis_type == "pest") {
        result->set("summary", measured + (discoloured ? ": discolouration that feeding damage "
                                                         "could cause"
                                                       : ": little discolouration"));
    } else if (job.analysis_type == "disease") {
        result->set("summary", measured + (discoloured ? ": discolouration that lesions could cause"
                                                       : ": little discolouration"));
    } else {
        result->set("summary", measured);
    }
    if (job.analysis_type == "comprehensive") {
        const std::array<std::pair<const char*, std::uint64_t>, 4> counts{{{"green", tally.green},
                                                                           {"yellow", tally.yellow},
                                                                           {"brown", tally.brown},
                                                                           {"other", tally.other}}};
        auto dominant = std::max_element(counts.begin(), counts.end(),
                                         [](auto& a, auto& b) { return a.second < b.second; });
        result->set("dominant_colour", dominant->first);
    }
    return result;
}

}  // namespace

void ColourTally::add(std::uint8_t red, std::uint8_t green_level, std::uint8_t blue) {
    const int high = std::max({red, green_level, blue});
    const int low = std::min({red, green_level, blue});
    const double value = high / 255.0;
    const double saturation = high == 0 ? 0 : static_cast<double>(high - low) / high;
    if (value < 0.15 || saturation < 0.2) {
        ++other;
        return;
    }
    const double span = high - low;
    double hue;
    if (high == red) {
        hue = 60 * std::fmod((green_level - blue) / span + 6, 6.0);
    } else if (high == green_level) {
        hue = 60 * ((blue - red) / span + 2);
    } else {
        hue = 60 * ((red - green_level) / span + 4);
    }
    if (hue >= 70 && hue < 170) {
        ++green;
    } else if (hue >= 45 && hue < 70) {
        ++(value >= 0.5 ? yellow : brown);
    } else if (hue >= 10 && hue < 45) {
        ++brown;
    } else {
        ++other;
    }
}

double ColourTally::lesion_score() const {
    const std::uint64_t plant = green + yellow + brown;
    return plant == 0 ? 0 : static_cast<double>(yellow + brown) / static_cast<double>(plant);
}

Poco::JSON::Object::Ptr analyse_colours(AnalysisContext& context) {
    std::FILE* file = context.image();
    Scan scan;
    const char* format = nullptr;
    switch (sniff(file)) {
        case ImageFormat::jpeg:
            scan = scan_jpeg(context, file);
            format = "jpeg";
            break;
        case ImageFormat::png:
            scan = scan_png(context, file);
            format = "png";
            break;
        case ImageFormat::other:
            throw AnalysisError("unsupported_format",
                                "the builtin analyzer reads JPEG and PNG only", false);
    }
    if (scan.stopped)
        throw AnalysisError("stopped", "the analysis was stopped", false);
    context.progress(100);
    return report(scan, format, context.job());
}

}  // namespace visiongw::worker::reference
