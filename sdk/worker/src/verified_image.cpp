#include "verified_image.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

namespace visiongw::worker {
namespace {

namespace fs = std::filesystem;

// An open file descriptor, closed with the object unless released.
class Descriptor {
public:
    explicit Descriptor(int fd) : fd_(fd) {}
    ~Descriptor() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;
    Descriptor(Descriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Descriptor& operator=(Descriptor&& other) noexcept {
        std::swap(fd_, other.fd_);
        return *this;
    }

    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

private:
    int fd_;
};

AnalysisError forbidden(const Job& job, const std::string& storage_root, const std::string& rule) {
    return AnalysisError("file_forbidden",
                         "file_path " + job.file_path + " " + rule + " (storage root " +
                             storage_root + "); only regular files below it are read",
                         false);
}

AnalysisError missing(const Job& job, int error) {
    return AnalysisError("file_missing",
                         "cannot open " + job.file_path + ": " + std::strerror(error), false);
}

AnalysisError size_mismatch(const Job& job, const std::string& found) {
    return AnalysisError(
        "file_mismatch",
        job.file_path + " has " + found + " bytes, the job says " + std::to_string(job.size_bytes),
        false);
}

// The spellings of the root a file_path may start with, each ending in '/': as configured
// (absolute, normalised) and its real path.
std::vector<std::string> root_prefixes(const std::string& storage_root) {
    std::vector<std::string> prefixes;
    auto add = [&](const fs::path& root) {
        std::string text = root.string();
        if (text.empty())
            return;
        if (text.back() != '/')
            text += '/';
        if (std::find(prefixes.begin(), prefixes.end(), text) == prefixes.end())
            prefixes.push_back(std::move(text));
    };
    std::error_code error;
    add(fs::absolute(storage_root, error).lexically_normal());
    add(fs::canonical(storage_root, error));
    return prefixes;
}

// The names file_path goes through below the root; throws file_forbidden when it does not
// start with the root or has a name that is empty, "." or "..".
std::vector<std::string> names_below_root(const Job& job, const std::string& storage_root) {
    const std::string& path = job.file_path;
    if (path.find('\0') != std::string::npos)
        throw forbidden(job, storage_root, "contains a NUL byte");
    for (const std::string& prefix : root_prefixes(storage_root)) {
        if (!path.starts_with(prefix))
            continue;
        std::vector<std::string> names;
        std::string_view rest(path);
        rest.remove_prefix(prefix.size());
        for (;;) {
            const std::size_t slash = rest.find('/');
            const std::string_view name = rest.substr(0, slash);
            if (name.empty())
                throw forbidden(job, storage_root, "has an empty name below the root");
            if (name == "." || name == "..") {
                throw forbidden(job, storage_root,
                                "has the name '" + std::string(name) + "' below the root");
            }
            names.emplace_back(name);
            if (slash == std::string_view::npos)
                return names;
            rest.remove_prefix(slash + 1);
        }
    }
    throw forbidden(job, storage_root, "is not below the storage root");
}

// Opens what `names` lead to below the root, one name at a time, following no symbolic link.
Descriptor open_below_root(const Job& job, const std::string& storage_root,
                           const std::vector<std::string>& names) {
    Descriptor folder(::open(storage_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (folder.get() < 0) {
        const int error = errno;
        throw AnalysisError("file_missing",
                            "cannot open the storage root " + storage_root + " of " +
                                job.file_path + ": " + std::strerror(error),
                            false);
    }
    for (std::size_t i = 0; i < names.size(); ++i) {
        // The file itself opens without waiting: a FIFO would block until a writer came.
        const int kind = i + 1 == names.size() ? O_NONBLOCK | O_NOCTTY : O_DIRECTORY;
        Descriptor next(
            ::openat(folder.get(), names[i].c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | kind));
        if (next.get() < 0) {
            const int error = errno;
            // O_NOFOLLOW refuses a link as ELOOP, or as ENOTDIR together with O_DIRECTORY.
            struct stat link {};
            if (::fstatat(folder.get(), names[i].c_str(), &link, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISLNK(link.st_mode)) {
                throw forbidden(job, storage_root,
                                "goes through the symbolic link '" + names[i] + "'");
            }
            throw missing(job, error);
        }
        folder = std::move(next);
    }
    return folder;
}

// Reads at most `limit` + 1 bytes, returning how many it read and their lowercase hex SHA-256.
std::pair<std::uint64_t, std::string> measure(std::FILE* file, const Job& job,
                                              std::uint64_t limit) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> digest(EVP_MD_CTX_new(),
                                                                   EVP_MD_CTX_free);
    if (!digest || EVP_DigestInit_ex(digest.get(), EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("cannot start a SHA-256 digest");
    }
    std::uint64_t size = 0;
    char buffer[64 * 1024];
    while (size <= limit) {
        const auto wanted =
            static_cast<std::size_t>(std::min<std::uint64_t>(sizeof buffer, limit + 1 - size));
        const std::size_t count = std::fread(buffer, 1, wanted, file);
        if (count == 0)
            break;
        EVP_DigestUpdate(digest.get(), buffer, count);
        size += count;
    }
    if (std::ferror(file)) {
        throw AnalysisError("file_missing",
                            "cannot read " + job.file_path + ": " + std::strerror(errno), false);
    }
    unsigned char hash[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(digest.get(), hash, &length);
    static const char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < length; ++i) {
        hex += kHex[hash[i] >> 4];
        hex += kHex[hash[i] & 0xF];
    }
    return {size, hex};
}

}  // namespace

VerifiedImage::VerifiedImage(const Job& job, const std::string& storage_root) {
    Descriptor fd = open_below_root(job, storage_root, names_below_root(job, storage_root));
    struct stat info {};
    if (::fstat(fd.get(), &info) != 0)
        throw missing(job, errno);
    if (!S_ISREG(info.st_mode))
        throw forbidden(job, storage_root, "is not a regular file");
    if (static_cast<std::uint64_t>(info.st_size) != job.size_bytes)
        throw size_mismatch(job, std::to_string(info.st_size));
    file_ = ::fdopen(fd.get(), "rb");
    if (file_ == nullptr)
        throw missing(job, errno);
    fd.release();
    try {
        auto [size, hash] = measure(file_, job, job.size_bytes);
        if (size != job.size_bytes) {
            throw size_mismatch(job, size > job.size_bytes
                                         ? "more than " + std::to_string(job.size_bytes)
                                         : std::to_string(size));
        }
        if (hash != job.file_hash) {
            throw AnalysisError(
                "file_mismatch",
                job.file_path + " has SHA-256 " + hash + ", the job says " + job.file_hash, false);
        }
    } catch (...) {
        std::fclose(file_);
        throw;
    }
}

VerifiedImage::~VerifiedImage() {
    std::fclose(file_);
}

std::FILE* VerifiedImage::rewound() {
    std::rewind(file_);
    return file_;
}

}  // namespace visiongw::worker
