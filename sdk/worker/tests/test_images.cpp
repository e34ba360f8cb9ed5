#include "test_images.h"

// clang-format off
#include <cstdio>  // jpeglib.h needs FILE first
#include <jpeglib.h>
// clang-format on
#include <png.h>

#include <filesystem>
#include <stdexcept>
#include <vector>

namespace visiongw::worker::testing {
namespace {

std::vector<unsigned char> row_of(unsigned width, Rgb colour) {
    std::vector<unsigned char> row;
    for (unsigned x = 0; x < width; ++x)
        row.insert(row.end(), {colour.red, colour.green, colour.blue});
    return row;
}

Rgb colour_of_row(unsigned y, unsigned height, Rgb main, Rgb patch, double patch_share) {
    return y < patch_share * height ? patch : main;
}

std::FILE* open_for_writing(const std::string& path) {
    std::FILE* file = std::fopen(path.c_str(), "wb");
    if (file == nullptr)
        throw std::runtime_error("cannot write " + path);
    return file;
}

}  // namespace

void write_jpeg(const std::string& path, unsigned width, unsigned height, Rgb main, Rgb patch,
                double patch_share) {
    std::FILE* file = open_for_writing(path);
    jpeg_compress_struct encoder{};
    jpeg_error_mgr errors{};
    encoder.err = jpeg_std_error(&errors);
    jpeg_create_compress(&encoder);
    jpeg_stdio_dest(&encoder, file);
    encoder.image_width = width;
    encoder.image_height = height;
    encoder.input_components = 3;
    encoder.in_color_space = JCS_RGB;
    jpeg_set_defaults(&encoder);
    jpeg_set_quality(&encoder, 95, TRUE);
    jpeg_start_compress(&encoder, TRUE);
    for (unsigned y = 0; y < height; ++y) {
        auto row = row_of(width, colour_of_row(y, height, main, patch, patch_share));
        JSAMPROW rows[1] = {row.data()};
        jpeg_write_scanlines(&encoder, rows, 1);
    }
    jpeg_finish_compress(&encoder);
    jpeg_destroy_compress(&encoder);
    std::fclose(file);
}

void write_png(const std::string& path, unsigned width, unsigned height, Rgb main, Rgb patch,
               double patch_share, bool interlaced) {
    std::FILE* file = open_for_writing(path);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png_create_info_struct(png);
    png_init_io(png, file);
    png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB,
                 interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    std::vector<std::vector<unsigned char>> rows;
    std::vector<png_bytep> pointers;
    for (unsigned y = 0; y < height; ++y) {
        rows.push_back(row_of(width, colour_of_row(y, height, main, patch, patch_share)));
    }
    for (auto& row : rows)
        pointers.push_back(row.data());
    png_write_image(png, pointers.data());
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    std::fclose(file);
}

std::string sha256_of_file(const std::string& path) {
    return visiongw::testing::sha256_hex(visiongw::testing::read_whole_file(path));
}

std::uint64_t size_of_file(const std::string& path) {
    return std::filesystem::file_size(path);
}

}  // namespace visiongw::worker::testing
