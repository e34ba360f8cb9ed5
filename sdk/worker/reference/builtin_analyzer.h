// The reference worker's `builtin` analyzer: a deterministic demonstration that needs no
// service. It decodes the JPEG or PNG row by row and reports colour statistics.
#pragma once

#include <cstdint>

#include "visiongw/worker/analysis.h"

namespace visiongw::worker::reference {

// Counts pixels by hue, saturation and value (H in degrees, S and V in [0, 1]):
//   green  — 70 ≤ H < 170
//   yellow — 45 ≤ H < 70 and V ≥ 0.5
//   brown  — 10 ≤ H < 45, or 45 ≤ H < 70 with V < 0.5 (dark yellow reads as brown)
//   other  — any other hue, and every pixel with S < 0.2 or V < 0.15 (grey, white, black)
struct ColourTally {
    std::uint64_t green = 0;
    std::uint64_t yellow = 0;
    std::uint64_t brown = 0;
    std::uint64_t other = 0;

    void add(std::uint8_t red, std::uint8_t green_level, std::uint8_t blue);
    std::uint64_t pixels() const { return green + yellow + brown + other; }
    // (yellow + brown) / (green + yellow + brown); 0 when none of the three occurs.
    double lesion_score() const;
};

// Analyses ctx.image(): JPEG (downscaled while decoding to at most 1024 pixels a side) or PNG;
// other formats fail with `unsupported_format`, broken files with `undecodable_image` (neither
// retryable). The result names itself `"analyzer": "builtin-demo"`.
Poco::JSON::Object::Ptr analyse_colours(AnalysisContext& context);

}  // namespace visiongw::worker::reference
