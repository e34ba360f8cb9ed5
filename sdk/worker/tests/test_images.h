// Small images written by the tests themselves, and what a job message says about a file.
// Scratch folders are the shared test support's (files.h).
#pragma once

#include <cstdint>
#include <string>

#include "files.h"

namespace visiongw::worker::testing {

struct Rgb {
    std::uint8_t red, green, blue;
};

// Writes a width×height image of `main` with a band of `patch` across its top
// `patch_share` of rows.
void write_jpeg(const std::string& path, unsigned width, unsigned height, Rgb main,
                Rgb patch = {0, 0, 0}, double patch_share = 0);
void write_png(const std::string& path, unsigned width, unsigned height, Rgb main,
               Rgb patch = {0, 0, 0}, double patch_share = 0, bool interlaced = false);

std::string sha256_of_file(const std::string& path);
std::uint64_t size_of_file(const std::string& path);

using visiongw::testing::ScratchDir;

inline constexpr Rgb kLeafGreen{40, 160, 50};
inline constexpr Rgb kLesionBrown{120, 70, 30};
inline constexpr Rgb kDryYellow{220, 200, 40};

}  // namespace visiongw::worker::testing
