#include "local_storage.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <system_error>
#include <utility>

namespace visiongw::local {
namespace {

namespace fs = std::filesystem;
using std::chrono::system_clock;

// A temporary file older than this belongs to no live upload.
constexpr auto kStaleTempAge = std::chrono::hours(1);

// The folder below the root that holds only the store's temporary files: a name of its own,
// so that no root (not even "/") makes it a folder other programs use, such as /tmp.
constexpr std::string_view kTempFolder = "visiongw-tmp";
// What a temporary file is for: its name is "<purpose>-<pid>-<counter>.part".
constexpr std::string_view kTempPurposes[] = {"upload", "health"};

// Committed files that may wait for the finisher: descriptors held open, at most this many.
constexpr std::size_t kFinisherCapacity = 64;

std::string errno_text(int error) {
    return std::system_category().message(error);
}

// Throws StorageFull when `error` means the disk or quota is full, else `Otherwise`.
template <typename Otherwise>
[[noreturn]] void throw_io_error(int error, const std::string& action) {
    const std::string message = action + ": " + errno_text(error);
    if (error == ENOSPC || error == EDQUOT)
        throw sdk::StorageFull(message);
    throw Otherwise(message);
}

system_clock::time_point modified_at(const struct stat& info) {
    return system_clock::time_point(std::chrono::duration_cast<system_clock::duration>(
        std::chrono::seconds(info.st_mtim.tv_sec) +
        std::chrono::nanoseconds(info.st_mtim.tv_nsec)));
}

bool is_lower_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}
bool is_extension_char(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z');
}

// A storage key "<sha256>.<extension>" whose parts are safe to put in a path.
struct BlobKey {
    std::string_view sha256;     // 64 lowercase hex digits
    std::string_view extension;  // [a-z0-9]{1,8}
};

std::optional<BlobKey> parse_key(std::string_view key) {
    const std::size_t dot = key.find('.');
    if (dot != 64)
        return std::nullopt;
    const BlobKey parsed{key.substr(0, dot), key.substr(dot + 1)};
    const bool valid =
        std::all_of(parsed.sha256.begin(), parsed.sha256.end(), is_lower_hex) &&
        !parsed.extension.empty() && parsed.extension.size() <= 8 &&
        std::all_of(parsed.extension.begin(), parsed.extension.end(), is_extension_char);
    return valid ? std::optional(parsed) : std::nullopt;
}

BlobKey checked_key(std::string_view key) {
    if (auto parsed = parse_key(key))
        return *parsed;
    throw sdk::Error("invalid storage key \"" + std::string(key.substr(0, 80)) +
                     "\": expected <64 lowercase hex digits>.<1-8 of [a-z0-9]>");
}

fs::path blob_path(const fs::path& root, const BlobKey& key) {
    std::string name(key.sha256);
    name += '.';
    name += key.extension;
    return root / key.sha256.substr(0, 2) / key.sha256.substr(2, 2) / name;
}

// A fan-out folder name: two lowercase hex digits.
bool is_digits(std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Whether `name` is one the store gives its temporary files: "<purpose>-<pid>-<counter>.part".
bool is_temp_file_name(std::string_view name) {
    constexpr std::string_view kSuffix = ".part";
    for (std::string_view purpose : kTempPurposes) {
        if (!name.starts_with(purpose) || name.size() <= purpose.size() ||
            name[purpose.size()] != '-' || !name.ends_with(kSuffix)) {
            continue;
        }
        const std::string_view numbers =
            name.substr(purpose.size() + 1, name.size() - purpose.size() - 1 - kSuffix.size());
        const std::size_t dash = numbers.find('-');
        return dash != std::string_view::npos && is_digits(numbers.substr(0, dash)) &&
               is_digits(numbers.substr(dash + 1));
    }
    return false;
}

bool is_fanout_folder(const fs::path& name) {
    const std::string text = name.string();
    return text.size() == 2 && is_lower_hex(text[0]) && is_lower_hex(text[1]);
}

// The entries of `folder`; those that could be read when it vanishes or fails meanwhile.
std::vector<fs::directory_entry> entries_of(const fs::path& folder) {
    std::vector<fs::directory_entry> entries;
    std::error_code error;
    for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
        entries.push_back(*it);
    }
    return entries;
}

// The blob at `path`; nothing when it does not exist (or is no regular file). Throws sdk::Error.
std::optional<sdk::BlobStat> stat_blob(std::string key, const fs::path& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        const int error = errno;
        if (error == ENOENT)
            return std::nullopt;
        throw sdk::Error("cannot stat " + path.string() + ": " + errno_text(error));
    }
    if (!S_ISREG(info.st_mode))
        return std::nullopt;
    return sdk::BlobStat{std::move(key), path.string(), static_cast<std::uint64_t>(info.st_size),
                         modified_at(info)};
}

// Makes the bytes of `temp` visible at `target` without ever replacing a file there: when a
// blob exists already (or an identical upload wins the race) its mtime is refreshed instead.
// Returns whether an existing blob was reused. The usual case, a new blob in an existing
// folder, costs one link().
bool publish(const fs::path& temp, const fs::path& target) {
    for (int attempt = 0; attempt < 3; ++attempt) {
        if (::link(temp.c_str(), target.c_str()) == 0)
            return false;
        if (const int error = errno; error == EEXIST) {
            if (::utimensat(AT_FDCWD, target.c_str(), nullptr, 0) == 0)
                return true;
            if (const int refresh_error = errno; refresh_error != ENOENT) {
                throw_io_error<sdk::Error>(refresh_error, "cannot refresh " + target.string());
            }
            continue;  // removed meanwhile (cleanup): publish ours
        } else if (error != ENOENT) {
            throw_io_error<sdk::Error>(error, "cannot publish " + target.string());
        }
        std::error_code folder_error;
        fs::create_directories(target.parent_path(), folder_error);
        if (folder_error) {
            throw_io_error<sdk::Error>(folder_error.value(),
                                       "cannot create folder " + target.parent_path().string());
        }
    }
    throw sdk::Error("cannot publish " + target.string() + ": its folder or " + temp.string() +
                     " keeps vanishing");
}

// One upload: owns its temporary file until commit() publishes it or abort() removes it.
class LocalBlobWriter final : public sdk::BlobWriter {
public:
    LocalBlobWriter(int fd, fs::path temp, fs::path root, FileFinisher* finisher)
        : fd_(fd), temp_(std::move(temp)), root_(std::move(root)), finisher_(finisher) {}
    LocalBlobWriter(const LocalBlobWriter&) = delete;
    LocalBlobWriter& operator=(const LocalBlobWriter&) = delete;
    ~LocalBlobWriter() override { abort(); }

    void write(const char* data, std::size_t size) override {
        if (fd_ < 0)
            throw sdk::Error("upload to " + temp_.string() + " is already finished");
        while (size > 0) {
            const ssize_t written = ::write(fd_, data, size);
            if (written < 0) {
                const int error = errno;
                if (error == EINTR)
                    continue;
                throw_io_error<sdk::Error>(error, "cannot write " + temp_.string());
            }
            data += written;
            size -= static_cast<std::size_t>(written);
            size_ += static_cast<std::uint64_t>(written);
        }
    }

    sdk::StoredBlob commit(std::string_view sha256_hex, std::string_view extension) override {
        std::string key(sha256_hex);
        key += '.';
        key += extension;
        const fs::path target = blob_path(root_, checked_key(key));
        if (fd_ < 0)
            throw sdk::Error("upload to " + temp_.string() + " is already finished");
        if (!finisher_)
            sync_and_close();
        const bool deduplicated = publish(temp_, target);
        ::unlink(temp_.c_str());  // a leftover would be removed as stale on the next start
        temp_.clear();
        if (finisher_)
            finisher_->finish(std::exchange(fd_, -1), !deduplicated);
        return sdk::StoredBlob{.key = std::move(key),
                               .location = target.string(),
                               .size = size_,
                               .deduplicated = deduplicated,
                               .url = {}};
    }

    void abort() noexcept override {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = -1;
        if (!temp_.empty())
            ::unlink(temp_.c_str());
        temp_.clear();
    }

private:
    // Flushes and closes the temporary file before it is published: the fsync option.
    void sync_and_close() {
        const int fd = std::exchange(fd_, -1);
        if (::fsync(fd) != 0) {
            const int error = errno;
            ::close(fd);
            throw_io_error<sdk::Error>(error, "cannot fsync " + temp_.string());
        }
        if (::close(fd) != 0) {
            const int error = errno;
            throw_io_error<sdk::Error>(error, "cannot write " + temp_.string());
        }
    }

    int fd_;
    fs::path temp_;  // empty once published or removed
    fs::path root_;
    FileFinisher* finisher_;  // null: fsync and close before publishing
    std::uint64_t size_ = 0;
};

}  // namespace

void LocalStorage::configure(const sdk::PluginConfig& config, sdk::PluginContext& context) {
    const std::string option = "[" + config.section() + "] root: ";
    std::error_code error;
    root_ = fs::absolute(config.get_string("root"), error).lexically_normal();
    if (error) {
        throw sdk::ConfigError(option + "cannot resolve \"" + config.get_string("root") +
                               "\": " + error.message());
    }
    tmp_ = root_ / kTempFolder;
    ttl_ = std::chrono::seconds(config.get_int("file_ttl_seconds"));
    min_free_bytes_ = static_cast<std::uint64_t>(config.get_int("min_free_bytes"));
    fsync_ = config.get_bool("fsync");
    log_ = &context.log;
    for (const fs::path& folder : {root_, tmp_}) {
        fs::create_directories(folder, error);
        if (!error && !fs::is_directory(folder, error)) {
            error = std::make_error_code(std::errc::not_a_directory);
        }
        if (error) {
            throw sdk::ConfigError(option + "cannot create folder " + folder.string() + ": " +
                                   error.message());
        }
    }
    if (fs::is_symlink(tmp_, error)) {
        throw sdk::ConfigError(option + tmp_.string() +
                               " is a symbolic link; the store keeps its temporary files in a "
                               "folder of its own");
    }
}

void LocalStorage::start() {
    if (!fsync_)
        finisher_ = std::make_unique<FileFinisher>(kFinisherCapacity);
    const auto cutoff = system_clock::now() - kStaleTempAge;
    std::size_t removed = 0;
    for (const fs::directory_entry& entry : entries_of(tmp_)) {
        struct stat info {};
        if (is_temp_file_name(entry.path().filename().string()) &&
            ::lstat(entry.path().c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
            modified_at(info) < cutoff && ::unlink(entry.path().c_str()) == 0) {
            ++removed;
        }
    }
    if (removed > 0) {
        log_->write(sdk::LogLevel::info, "removed " + std::to_string(removed) +
                                             " stale temporary files from " + tmp_.string());
    }
}

void LocalStorage::stop() noexcept {
    finisher_.reset();
}

sdk::Health LocalStorage::health() {
    try {
        auto [fd, path] = create_temp_file("health");
        ::close(fd);
        ::unlink(path.c_str());
        const std::uint64_t free = free_bytes();
        std::string detail = std::to_string(free) + " bytes free in " + root_.string();
        if (free < min_free_bytes_) {
            return {false, detail + ", below the floor of " + std::to_string(min_free_bytes_)};
        }
        return {true, std::move(detail)};
    } catch (const sdk::Error& e) {
        return {false, e.what()};
    }
}

std::unique_ptr<sdk::BlobWriter> LocalStorage::begin_write() {
    const std::uint64_t free = free_bytes();
    if (free < min_free_bytes_) {
        throw sdk::StorageFull(std::to_string(free) + " bytes free in " + root_.string() +
                               ", below the floor of " + std::to_string(min_free_bytes_));
    }
    if (!fsync_ && !finisher_)
        throw sdk::Error("local storage at " + root_.string() + " is not started");
    auto [fd, path] = create_temp_file("upload");
    return std::make_unique<LocalBlobWriter>(fd, std::move(path), root_, finisher_.get());
}

std::optional<sdk::BlobStat> LocalStorage::stat(std::string_view key) {
    return stat_blob(std::string(key), blob_path(root_, checked_key(key)));
}

std::unique_ptr<std::istream> LocalStorage::open(std::string_view key) {
    auto stream =
        std::make_unique<std::ifstream>(blob_path(root_, checked_key(key)), std::ios::binary);
    if (!stream->is_open())
        return nullptr;
    return stream;
}

bool LocalStorage::remove(std::string_view key) {
    const fs::path path = blob_path(root_, checked_key(key));
    if (::unlink(path.c_str()) == 0)
        return true;
    const int error = errno;
    if (error == ENOENT)
        return false;
    throw sdk::Error("cannot remove " + path.string() + ": " + errno_text(error));
}

std::vector<sdk::BlobStat> LocalStorage::expired(system_clock::time_point now) {
    std::vector<sdk::BlobStat> blobs;
    for_each_blob([&](const sdk::BlobStat& blob) {
        if (blob.stored_at + ttl_ < now)
            blobs.push_back(blob);
    });
    return blobs;
}

sdk::StorageStats LocalStorage::stats(system_clock::time_point now) {
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
    try {
        stats.free_bytes = free_bytes();
    } catch (const sdk::Unavailable& e) {
        log_->write(sdk::LogLevel::warning, e.what());
    }
    return stats;
}

void LocalStorage::for_each_blob(const std::function<void(const sdk::BlobStat&)>& visit) const {
    for (const fs::directory_entry& outer : entries_of(root_)) {
        if (!is_fanout_folder(outer.path().filename()))
            continue;  // skips visiongw-tmp/
        for (const fs::directory_entry& inner : entries_of(outer.path())) {
            if (!is_fanout_folder(inner.path().filename()))
                continue;
            for (const fs::directory_entry& file : entries_of(inner.path())) {
                const std::string name = file.path().filename().string();
                if (!parse_key(name))
                    continue;
                if (auto blob = stat_blob(name, file.path()))
                    visit(*blob);
            }
        }
    }
}

std::uint64_t LocalStorage::free_bytes() const {
    struct statvfs info {};
    if (::statvfs(root_.c_str(), &info) != 0) {
        const int error = errno;
        throw sdk::Unavailable("cannot read free space of " + root_.string() + ": " +
                               errno_text(error));
    }
    return std::uint64_t{info.f_bavail} * info.f_frsize;
}

std::pair<int, fs::path> LocalStorage::create_temp_file(std::string_view purpose) {
    for (;;) {
        fs::path path = tmp_ / (std::string(purpose) + "-" + std::to_string(::getpid()) + "-" +
                                std::to_string(temp_counter_++) + ".part");
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
        if (fd >= 0)
            return {fd, std::move(path)};
        // EEXIST: a leftover of an earlier process that had the same pid; try the next name.
        if (const int error = errno; error != EEXIST) {
            throw_io_error<sdk::Unavailable>(error, "cannot create a file in " + tmp_.string());
        }
    }
}

}  // namespace visiongw::local
