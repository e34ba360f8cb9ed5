// The `s3` storage backend: blobs as objects `<key_prefix><sha256>.<ext>` in one bucket of an
// S3-compatible object store.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "s3_client.h"
#include "visiongw/sdk/storage.h"

namespace visiongw::s3 {

// An upload is spooled to an unnamed file in `spool_dir` (unlinked as soon as it is created, so
// no crash or abort leaves it behind; memory stays bounded whatever the image's size) and sent
// by commit() in one PUT with its SHA-256 as x-amz-content-sha256, so the store refuses bytes
// that do not hash to their key and a failed or rejected upload leaves no object and no pending
// multipart upload. A blob that exists already (HEAD) is not sent again: it is copied onto
// itself, which refreshes its Last-Modified, the time its TTL counts from. Every method is safe
// to call from many threads once configure() has run.
class S3Storage final : public sdk::StorageBackend {
public:
    // Reads the options; throws sdk::ConfigError for an unusable endpoint, missing credentials
    // or a spool folder that cannot be created or cannot hold unnamed files.
    void configure(const sdk::PluginConfig& config, sdk::PluginContext& context) override;
    // Checks the bucket: throws sdk::ConfigError naming the bucket and the S3 error code when
    // the store refuses it (wrong credentials, no such bucket); an endpoint that does not
    // answer is logged and left to readiness.
    void start() override;
    sdk::Health health() override;

    std::unique_ptr<sdk::BlobWriter> begin_write() override;
    std::optional<sdk::BlobStat> stat(std::string_view key) override;
    std::unique_ptr<std::istream> open(std::string_view key) override;
    bool remove(std::string_view key) override;
    std::vector<sdk::BlobStat> expired(std::chrono::system_clock::time_point now) override;
    sdk::StorageStats stats(std::chrono::system_clock::time_point now) override;

    // Publishes the spooled upload `spool` (positioned anywhere) under `key`.
    sdk::StoredBlob publish(int spool, std::uint64_t size, std::string_view sha256_hex,
                            const std::string& key);

private:
    std::string object_key(std::string_view key) const { return prefix_ + std::string(key); }
    std::string location_of(std::string_view key) const;
    // What commit() answers: location and a presigned GET URL valid for presign_seconds.
    sdk::StoredBlob stored(const std::string& key, std::uint64_t size, bool deduplicated) const;
    // Calls `visit` for every blob under the prefix, a listing page at a time.
    void for_each_blob(const std::function<void(const sdk::BlobStat&)>& visit);
    // Why the bucket cannot be used, from a listing request's error document.
    std::string bucket_problem();

    std::unique_ptr<S3Client> client_;
    std::string bucket_;
    std::string prefix_;
    std::filesystem::path spool_dir_;
    std::chrono::seconds ttl_{0};
    std::chrono::seconds presign_{0};
    sdk::PluginLog* log_ = nullptr;
};

}  // namespace visiongw::s3
