// The `local` storage backend: blobs in a content-addressed folder tree on a local filesystem.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "file_finisher.h"
#include "visiongw/sdk/storage.h"

namespace visiongw::local {

// Stores `<sha256>.<ext>` at `root/ab/cd/<sha256>.<ext>` (ab, cd: the first four hex digits);
// uploads are written to unique files in `root/tmp` and published with link(), so a blob is
// never overwritten and concurrent uploads of the same content leave exactly one file. A blob's
// mtime is its storage time: reuse by a later upload refreshes it, and it expires `ttl` after.
// Without the fsync option a new blob's writeback is started (not waited for) by a FileFinisher
// after the commit: left to the kernel's flusher, dirty images pile up to gigabytes that go out
// in one burst and stall every fsync on the same disk (the broker's among them) for a second or
// more. Every method is safe to call from many threads once start() has run.
class LocalStorage final : public sdk::StorageBackend {
public:
    // Reads the options, creates root and its temporary folder root/visiongw-tmp. Throws
    // sdk::ConfigError.
    void configure(const sdk::PluginConfig& config, sdk::PluginContext& context) override;
    // Removes the store's own temporary files older than an hour (leftovers of a crash) from
    // its temporary folder, and nothing else; starts the finisher.
    void start() override;
    // Finishes the files committed so far. No upload may be in progress.
    void stop() noexcept override;
    sdk::Health health() override;

    std::unique_ptr<sdk::BlobWriter> begin_write() override;
    std::optional<sdk::BlobStat> stat(std::string_view key) override;
    std::unique_ptr<std::istream> open(std::string_view key) override;
    bool remove(std::string_view key) override;
    std::vector<sdk::BlobStat> expired(std::chrono::system_clock::time_point now) override;
    sdk::StorageStats stats(std::chrono::system_clock::time_point now) override;

private:
    // Calls `visit` for every committed blob in the fan-out tree; blobs that vanish meanwhile
    // are skipped.
    void for_each_blob(const std::function<void(const sdk::BlobStat&)>& visit) const;
    std::uint64_t free_bytes() const;
    // Creates a new empty file in the temporary folder; returns its descriptor and path.
    // `purpose` is one of kTempPurposes (local_storage.cpp).
    std::pair<int, std::filesystem::path> create_temp_file(std::string_view purpose);

    std::filesystem::path root_;
    std::filesystem::path tmp_;
    std::chrono::seconds ttl_{0};
    std::uint64_t min_free_bytes_ = 0;
    bool fsync_ = false;
    std::unique_ptr<FileFinisher> finisher_;  // without fsync, from start() to stop()
    sdk::PluginLog* log_ = nullptr;
    std::atomic<std::uint64_t> temp_counter_{0};
};

}  // namespace visiongw::local
