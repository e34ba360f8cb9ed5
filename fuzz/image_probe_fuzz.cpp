// Fuzzes the image probe: an upload fed whole, and fed in pieces whose sizes the input chooses.
// The answer must not depend on the pieces; an answer settled by a prefix must be the answer
// for the whole upload; an accepted image has a format and dimensions that are not zero.
#include <optional>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "image_probe.h"

namespace {

using visiongw::core::ImageProbe;
using visiongw::core::ProbeResult;
using visiongw::core::ProbeStatus;
using visiongw::fuzz::FuzzInput;
using visiongw::fuzz::require;

bool same(const ProbeResult& a, const ProbeResult& b) {
    if (a.status != b.status || a.reason != b.reason || a.image.has_value() != b.image.has_value())
        return false;
    return !a.image || (a.image->format == b.image->format && a.image->width == b.image->width &&
                        a.image->height == b.image->height);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzInput input(data, size);
    std::vector<std::size_t> schedule;
    for (int i = 0; i < 4; ++i)
        schedule.push_back(input.choice() + 1u);
    const std::size_t prefix_share = input.choice();
    const std::string_view upload = input.rest();

    const ProbeResult whole = visiongw::core::probe_image(upload, true);
    require(whole.status != ProbeStatus::need_more, "a complete upload still needs more");
    require(whole.image.has_value() == (whole.status == ProbeStatus::ok),
            "an image without ok, or ok without an image");
    if (whole.image)
        require(whole.image->width > 0 && whole.image->height > 0, "an image without pixels");
    else
        require(!whole.reason.empty(), "a refusal without a reason");

    ImageProbe pieces;
    std::string_view rest = upload;
    for (std::size_t i = 0; !rest.empty(); ++i) {
        const std::size_t piece = std::min(schedule[i % schedule.size()], rest.size());
        pieces.feed(rest.substr(0, piece));
        rest.remove_prefix(piece);
    }
    require(same(pieces.finish(), whole), "the answer depends on the pieces");
    if (whole.image)
        require(pieces.format() == whole.image->format, "format() differs from the answer");

    const ProbeResult early =
        visiongw::core::probe_image(upload.substr(0, upload.size() * prefix_share / 255), false);
    if (early.status != ProbeStatus::need_more)
        require(same(early, whole), "a settled answer changed with more bytes");
    return 0;
}
