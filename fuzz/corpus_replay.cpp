// The main() of a corpus replay driver: feeds every file named on the command line (or found in
// a folder named there) to the fuzz target's LLVMFuzzerTestOneInput, the way libFuzzer replays a
// corpus, so the normal build's tests run every committed input without clang. A target reports
// a finding by aborting, which fails the test; a replay that finds no input fails as well.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

std::vector<std::filesystem::path> inputs_named(int argc, char** argv) {
    std::vector<std::filesystem::path> inputs;
    for (int i = 1; i < argc; ++i) {
        const std::filesystem::path named(argv[i]);
        if (!std::filesystem::is_directory(named)) {
            inputs.push_back(named);
            continue;
        }
        for (const auto& entry : std::filesystem::directory_iterator(named)) {
            if (entry.is_regular_file())
                inputs.push_back(entry.path());
        }
    }
    std::sort(inputs.begin(), inputs.end());
    return inputs;
}

}  // namespace

int main(int argc, char** argv) {
    const auto inputs = inputs_named(argc, argv);
    if (inputs.empty()) {
        std::cerr << "corpus replay: no inputs found\n";
        return 1;
    }
    for (const auto& input : inputs) {
        std::ifstream in(input, std::ios::binary);
        if (!in) {
            std::cerr << "corpus replay: cannot read " << input << "\n";
            return 1;
        }
        // A copy of its own, as libFuzzer gives, so a read past the end is caught by ASan.
        const std::vector<char> bytes{std::istreambuf_iterator<char>(in),
                                      std::istreambuf_iterator<char>()};
        const auto copy = std::make_unique<std::uint8_t[]>(bytes.size());
        std::copy(bytes.begin(), bytes.end(), copy.get());
        std::cerr << "corpus replay: " << input.filename().string() << " (" << bytes.size()
                  << " bytes)\n";
        LLVMFuzzerTestOneInput(copy.get(), bytes.size());
    }
    std::cout << "corpus replay: " << inputs.size() << " inputs, no finding\n";
    return 0;
}
