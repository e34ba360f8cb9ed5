#include "s3_storage.h"

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <streambuf>
#include <system_error>

namespace visiongw::s3 {
namespace {

namespace fs = std::filesystem;
using std::chrono::system_clock;

std::string errno_text(int error) {
    return std::system_category().message(error);
}

// Whether `name` is a content address "<64 lowercase hex>.<1-8 of [a-z0-9]>".
bool is_content_key(std::string_view name) {
    if (name.size() < 66 || name.size() > 73 || name[64] != '.')
        return false;
    auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
    auto ext = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'); };
    return std::all_of(name.begin(), name.begin() + 64, hex) &&
           std::all_of(name.begin() + 65, name.end(), ext);
}

// An S3 time (RFC 1123 in headers, ISO 8601 in listings) to the whole second: the two
// spellings of one object's time compare equal.
system_clock::time_point parse_time(const std::string& text, const std::string& format) {
    int zone = 0;
    Poco::DateTime parsed;
    try {
        Poco::DateTimeParser::parse(format, text, parsed, zone);
    } catch (const Poco::Exception& e) {
        throw sdk::Error("S3 sent the time \"" + text + "\": " + e.displayText());
    }
    return system_clock::from_time_t(parsed.timestamp().epochTime());
}

// Reads a spooled upload from its descriptor, from the start, 64 KiB at a time.
class SpoolBuffer final : public std::streambuf {
public:
    explicit SpoolBuffer(int fd) : fd_(fd) {}

protected:
    int_type underflow() override {
        ssize_t count;
        do {
            count = ::pread(fd_, buffer_, sizeof buffer_, offset_);
        } while (count < 0 && errno == EINTR);
        if (count <= 0)
            return traits_type::eof();
        offset_ += count;
        setg(buffer_, buffer_, buffer_ + count);
        return traits_type::to_int_type(buffer_[0]);
    }
    // Only to the start (a PUT sent again on a new connection).
    pos_type seekpos(pos_type position, std::ios_base::openmode) override {
        if (position != 0)
            return pos_type(off_type(-1));
        offset_ = 0;
        setg(nullptr, nullptr, nullptr);
        return position;
    }
    pos_type seekoff(off_type offset, std::ios_base::seekdir direction,
                     std::ios_base::openmode which) override {
        return direction == std::ios_base::beg ? seekpos(offset, which) : pos_type(off_type(-1));
    }

private:
    int fd_;
    off_t offset_ = 0;
    char buffer_[64 * 1024];
};

// One upload: owns its unnamed spool file until commit() sends it or abort() drops it.
class S3BlobWriter final : public sdk::BlobWriter {
public:
    S3BlobWriter(int fd, S3Storage& storage) : fd_(fd), storage_(storage) {}
    S3BlobWriter(const S3BlobWriter&) = delete;
    S3BlobWriter& operator=(const S3BlobWriter&) = delete;
    ~S3BlobWriter() override { abort(); }

    void write(const char* data, std::size_t size) override {
        if (fd_ < 0)
            throw sdk::Error("s3 upload is already finished");
        while (size > 0) {
            const ssize_t written = ::write(fd_, data, size);
            if (written < 0) {
                const int error = errno;
                if (error == EINTR)
                    continue;
                const std::string message = "cannot spool the upload: " + errno_text(error);
                if (error == ENOSPC || error == EDQUOT)
                    throw sdk::StorageFull(message);
                throw sdk::Error(message);
            }
            data += written;
            size -= static_cast<std::size_t>(written);
            size_ += static_cast<std::uint64_t>(written);
        }
    }

    sdk::StoredBlob commit(std::string_view sha256_hex, std::string_view extension) override {
        if (fd_ < 0)
            throw sdk::Error("s3 upload is already finished");
        std::string key(sha256_hex);
        key += '.';
        key += extension;
        if (!is_content_key(key))
            throw sdk::Error("invalid storage key \"" + key.substr(0, 80) + "\"");
        sdk::StoredBlob blob = storage_.publish(fd_, size_, sha256_hex, key);
        abort();
        return blob;
    }

    void abort() noexcept override {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_;
    S3Storage& storage_;
    std::uint64_t size_ = 0;
};

}  // namespace

void S3Storage::configure(const sdk::PluginConfig& config, sdk::PluginContext& context) {
    const std::string section = "[" + config.section() + "] ";
    log_ = &context.log;
    bucket_ = config.get_string("bucket");
    prefix_ = config.get_string("key_prefix");
    ttl_ = std::chrono::seconds(config.get_int("file_ttl_seconds"));
    presign_ = std::chrono::seconds(config.get_int("presign_seconds"));
    if (bucket_.empty())
        throw sdk::ConfigError(section + "bucket: must not be empty");
    for (const char* name : {"access_key_id", "secret_access_key"}) {
        if (config.get_string(name).empty()) {
            throw sdk::ConfigError(section + name + ": must be set (or its environment variable)");
        }
    }
    std::string endpoint = config.get_string("endpoint");
    if (endpoint.empty())
        endpoint = "https://s3." + config.get_string("region") + ".amazonaws.com";
    try {
        client_ = std::make_unique<S3Client>(S3Settings{
            .endpoint = endpoint,
            .region = config.get_string("region"),
            .bucket = bucket_,
            .virtual_host = config.get_string("addressing") == "virtual",
            .credentials = {config.get_string("access_key_id"),
                            config.get_string("secret_access_key")},
            .timeout = std::chrono::milliseconds(config.get_int("request_timeout_ms")),
            .pool_size = static_cast<std::size_t>(config.get_int("pool_size")),
        });
    } catch (const sdk::ConfigError& e) {
        throw sdk::ConfigError(section + e.what());
    }
    std::error_code error;
    spool_dir_ = fs::absolute(config.get_string("spool_dir"), error).lexically_normal();
    if (!error)
        fs::create_directories(spool_dir_, error);
    if (error) {
        throw sdk::ConfigError(section + "spool_dir: cannot create folder " + spool_dir_.string() +
                               ": " + error.message());
    }
    const int probe = ::open(spool_dir_.c_str(), O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
    if (probe < 0) {
        throw sdk::ConfigError(section +
                               "spool_dir: cannot create an unnamed file (O_TMPFILE) in " +
                               spool_dir_.string() + ": " + errno_text(errno));
    }
    ::close(probe);
}

std::string S3Storage::bucket_problem() {
    const S3Answer answer = client_->send("GET", "", {{"max-keys", "0"}});
    return client_->where() + " refused: " + S3Client::describe(answer);
}

void S3Storage::start() {
    try {
        if (client_->send("HEAD", "").status != 200)
            throw sdk::ConfigError(bucket_problem());
    } catch (const sdk::Unavailable& e) {
        log_->write(
            sdk::LogLevel::warning,
            std::string("object store not reachable at start; readiness will tell: ") + e.what());
    }
}

sdk::Health S3Storage::health() {
    try {
        const S3Answer answer = client_->send("HEAD", "");
        if (answer.status == 200)
            return {true, client_->where() + " answers"};
        return {false, bucket_problem()};
    } catch (const sdk::Error& e) {
        return {false, e.what()};
    }
}

std::unique_ptr<sdk::BlobWriter> S3Storage::begin_write() {
    const int fd = ::open(spool_dir_.c_str(), O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
    if (fd < 0) {
        const int error = errno;
        throw sdk::Unavailable("cannot create an unnamed spool file in " + spool_dir_.string() +
                               ": " + errno_text(error));
    }
    return std::make_unique<S3BlobWriter>(fd, *this);
}

std::string S3Storage::location_of(std::string_view key) const {
    return "s3://" + bucket_ + "/" + object_key(key);
}

sdk::StoredBlob S3Storage::stored(const std::string& key, std::uint64_t size,
                                  bool deduplicated) const {
    return sdk::StoredBlob{.key = key,
                           .location = location_of(key),
                           .size = size,
                           .deduplicated = deduplicated,
                           .url = client_->presigned_get_url(object_key(key), presign_)};
}

sdk::StoredBlob S3Storage::publish(int spool, std::uint64_t size, std::string_view sha256_hex,
                                   const std::string& key) {
    const std::string object = object_key(key);
    if (client_->send("HEAD", object).status == 200) {
        const S3Answer copied =
            client_->send("PUT", object, {},
                          {{"x-amz-copy-source", "/" + bucket_ + "/" + uri_encode(object, true)},
                           {"x-amz-metadata-directive", "REPLACE"}});
        if (copied.status == 200)
            return stored(key, size, true);
        if (copied.status != 404) {  // 404: removed since the HEAD; send ours
            throw sdk::Unavailable("cannot refresh " + object + " in " + client_->where() + ": " +
                                   S3Client::describe(copied));
        }
    }
    SpoolBuffer buffer(spool);
    std::istream bytes(&buffer);
    const S3Payload payload{bytes, size, std::string(sha256_hex)};
    const S3Answer answer = client_->send("PUT", object, {}, {}, &payload);
    if (answer.status == 200)
        return stored(key, size, false);
    const std::string message =
        "cannot store " + object + " in " + client_->where() + ": " + S3Client::describe(answer);
    const std::string code = xml_text(answer.body, "Code").value_or("");
    if (code == "QuotaExceeded" || answer.status == 507)
        throw sdk::StorageFull(message);
    throw sdk::Unavailable(message);
}

std::optional<sdk::BlobStat> S3Storage::stat(std::string_view key) {
    const S3Answer answer = client_->send("HEAD", object_key(key));
    if (answer.status == 404)
        return std::nullopt;
    if (answer.status != 200) {
        throw sdk::Error("cannot stat " + object_key(key) + " in " + client_->where() + ": HTTP " +
                         std::to_string(answer.status));
    }
    return sdk::BlobStat{std::string(key), location_of(key), answer.content_length,
                         parse_time(answer.last_modified, Poco::DateTimeFormat::HTTP_FORMAT)};
}

std::unique_ptr<std::istream> S3Storage::open(std::string_view key) {
    return client_->open(object_key(key));
}

bool S3Storage::remove(std::string_view key) {
    if (!stat(key))
        return false;
    const S3Answer answer = client_->send("DELETE", object_key(key));
    if (answer.status != 204 && answer.status != 200 && answer.status != 404) {
        throw sdk::Error("cannot remove " + object_key(key) + " from " + client_->where() + ": " +
                         S3Client::describe(answer));
    }
    return answer.status != 404;
}

void S3Storage::for_each_blob(const std::function<void(const sdk::BlobStat&)>& visit) {
    std::string marker;
    for (;;) {
        NameValues query{{"prefix", prefix_}, {"max-keys", "1000"}};
        if (!marker.empty())
            query.emplace_back("marker", marker);
        const S3Answer page = client_->send("GET", "", query);
        if (page.status != 200) {
            throw sdk::Unavailable("cannot list " + client_->where() + ": " +
                                   S3Client::describe(page));
        }
        for (std::size_t at = page.body.find("<Contents>"); at != std::string::npos;
             at = page.body.find("<Contents>", at + 1)) {
            const std::size_t end = page.body.find("</Contents>", at);
            const std::string_view entry = std::string_view(page.body).substr(at, end - at);
            marker = xml_text(entry, "Key").value_or("");
            const std::string name = marker.substr(std::min(prefix_.size(), marker.size()));
            if (!marker.starts_with(prefix_) || !is_content_key(name))
                continue;
            visit(sdk::BlobStat{name, location_of(name),
                                std::stoull(xml_text(entry, "Size").value_or("0")),
                                parse_time(xml_text(entry, "LastModified").value_or(""),
                                           Poco::DateTimeFormat::ISO8601_FRAC_FORMAT)});
        }
        if (xml_text(page.body, "IsTruncated").value_or("false") != "true" || marker.empty())
            return;
    }
}

std::vector<sdk::BlobStat> S3Storage::expired(system_clock::time_point now) {
    std::vector<sdk::BlobStat> blobs;
    for_each_blob([&](const sdk::BlobStat& blob) {
        if (blob.stored_at + ttl_ < now)
            blobs.push_back(blob);
    });
    return blobs;
}

sdk::StorageStats S3Storage::stats(system_clock::time_point now) {
    sdk::StorageStats stats;
    for_each_blob([&](const sdk::BlobStat& blob) {
        ++stats.files;
        stats.bytes += blob.size;
        if (!stats.oldest || blob.stored_at < *stats.oldest)
            stats.oldest = blob.stored_at;
        if (blob.stored_at + ttl_ < now) {
            ++stats.expired_files;
            stats.expired_bytes += blob.size;
        }
    });
    return stats;
}

}  // namespace visiongw::s3
