// Storage backend: where uploaded images live, content addressed by SHA-256.
#pragma once

#include <chrono>
#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "visiongw/sdk/plugin.h"

namespace visiongw::sdk {

inline constexpr const char* kStorageKind = "storage";

// A blob made visible by BlobWriter::commit.
struct StoredBlob {
    std::string key;       // backend-relative name: "<sha256>.<extension>"
    std::string location;  // what travels on the queue as file_path; an absolute path for local
                           // storage, s3://<bucket>/<key> for an object store
    std::uint64_t size = 0;
    bool deduplicated = false;  // an identical blob was already stored and is reused
    // Where a worker on any host can GET the blob for as long as its job may wait (a presigned
    // URL), sent as the job message's file_url; empty when the location is all a worker reads.
    std::string url;
};

struct BlobStat {
    std::string key;
    std::string location;
    std::uint64_t size = 0;
    std::chrono::system_clock::time_point stored_at;  // refreshed when an upload reuses it
};

struct StorageStats {
    std::uint64_t files = 0;
    std::uint64_t bytes = 0;
    std::optional<std::chrono::system_clock::time_point> oldest;
    std::uint64_t expired_files = 0;  // past their TTL and not yet removed
    std::uint64_t expired_bytes = 0;
    std::optional<std::uint64_t> free_bytes;  // where the backend knows it
};

// One upload in progress. Bytes go to a temporary place that nobody else sees; commit()
// publishes them under their content address, abort() (or destruction without commit)
// removes every trace. Used by one thread at a time.
class BOOST_SYMBOL_VISIBLE BlobWriter {
public:
    virtual ~BlobWriter() = default;
    // Appends a chunk. Throws StorageFull, Error.
    virtual void write(const char* data, std::size_t size) = 0;
    // Publishes the written bytes as `<sha256>.<extension>`; if that blob exists already the
    // temporary bytes are dropped and the existing blob is reused (deduplicated = true).
    virtual StoredBlob commit(std::string_view sha256_hex, std::string_view extension) = 0;
    virtual void abort() noexcept = 0;
};

class BOOST_SYMBOL_VISIBLE StorageBackend : public Plugin {
public:
    // Starts an upload. Throws StorageFull when free space is below the configured floor,
    // Unavailable when the backend cannot be written.
    virtual std::unique_ptr<BlobWriter> begin_write() = 0;
    virtual std::optional<BlobStat> stat(std::string_view key) = 0;
    // Opens a committed blob for reading; nullptr when it does not exist.
    virtual std::unique_ptr<std::istream> open(std::string_view key) = 0;
    // Removes a committed blob; false when it did not exist.
    virtual bool remove(std::string_view key) = 0;
    // Blobs whose TTL has passed at `now` (the caller decides which of them may go).
    virtual std::vector<BlobStat> expired(std::chrono::system_clock::time_point now) = 0;
    virtual StorageStats stats(std::chrono::system_clock::time_point now) = 0;
};

}  // namespace visiongw::sdk
