#include "verified_image.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/URI.h>
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

// Counts and hashes the bytes given to add().
class Measure {
public:
    Measure() : digest_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
        if (!digest_ || EVP_DigestInit_ex(digest_.get(), EVP_sha256(), nullptr) != 1)
            throw std::runtime_error("cannot start a SHA-256 digest");
    }
    void add(const char* data, std::size_t count) {
        EVP_DigestUpdate(digest_.get(), data, count);
        size_ += count;
    }
    std::uint64_t size() const { return size_; }
    // The lowercase hex SHA-256 of everything added; call once.
    std::string hex() {
        unsigned char hash[EVP_MAX_MD_SIZE];
        unsigned int length = 0;
        EVP_DigestFinal_ex(digest_.get(), hash, &length);
        static const char kHex[] = "0123456789abcdef";
        std::string text;
        for (unsigned int i = 0; i < length; ++i) {
            text += kHex[hash[i] >> 4];
            text += kHex[hash[i] & 0xF];
        }
        return text;
    }

private:
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> digest_;
    std::uint64_t size_ = 0;
};

// Reads at most `limit` + 1 bytes, returning how many it read and their lowercase hex SHA-256.
std::pair<std::uint64_t, std::string> measure(std::FILE* file, const Job& job,
                                              std::uint64_t limit) {
    Measure measure;
    char buffer[64 * 1024];
    while (measure.size() <= limit) {
        const auto wanted = static_cast<std::size_t>(
            std::min<std::uint64_t>(sizeof buffer, limit + 1 - measure.size()));
        const std::size_t count = std::fread(buffer, 1, wanted, file);
        if (count == 0)
            break;
        measure.add(buffer, count);
    }
    if (std::ferror(file)) {
        throw AnalysisError("file_missing",
                            "cannot read " + job.file_path + ": " + std::strerror(errno), false);
    }
    return {measure.size(), measure.hex()};
}

// Throws file_mismatch unless `size` and `hash` are the job's.
void expect_job_file(const Job& job, const std::string& name, std::uint64_t size,
                     const std::string& hash) {
    if (size != job.size_bytes) {
        throw AnalysisError(
            "file_mismatch",
            name + " has " +
                (size > job.size_bytes ? "more than " + std::to_string(job.size_bytes)
                                       : std::to_string(size)) +
                " bytes, the job says " + std::to_string(job.size_bytes),
            false);
    }
    if (hash != job.file_hash) {
        throw AnalysisError("file_mismatch",
                            name + " has SHA-256 " + hash + ", the job says " + job.file_hash,
                            false);
    }
}

// The job's file_url without its query (which holds the signature), for messages.
std::string shown_url(const Job& job) {
    return job.file_url.substr(0, job.file_url.find('?'));
}

constexpr auto kFetchTimeout = std::chrono::seconds(30);

std::unique_ptr<Poco::Net::HTTPClientSession> session_for(const Poco::URI& uri) {
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (uri.getScheme() == "https") {
        static const Poco::Net::Context::Ptr context = [] {
            Poco::Net::initializeSSL();
            return Poco::Net::Context::Ptr(
                new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", "",
                                       Poco::Net::Context::VERIFY_RELAXED, 9, true));
        }();
        session =
            std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), context);
    } else {
        session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
    }
    session->setTimeout(Poco::Timespan(
        std::chrono::duration_cast<std::chrono::microseconds>(kFetchTimeout).count()));
    return session;
}

// Fetches file_url into an unnamed temporary file, no further than the declared size, and
// checks it; returns the file positioned anywhere.
std::FILE* fetch(const Job& job) {
    Poco::URI uri;
    try {
        uri = Poco::URI(job.file_url);
    } catch (const Poco::Exception&) {
        throw AnalysisError("file_forbidden", "file_url " + shown_url(job) + " is not a URL",
                            false);
    }
    if (uri.getScheme() != "http" && uri.getScheme() != "https") {
        throw AnalysisError("file_forbidden",
                            "file_url " + shown_url(job) + " is not an http(s) URL", false);
    }
    const fs::path folder = fs::temp_directory_path();
    Descriptor fd(::open(folder.c_str(), O_RDWR | O_TMPFILE | O_CLOEXEC, 0600));
    if (fd.get() < 0) {
        throw AnalysisError("file_missing",
                            "cannot create a temporary file in " + folder.string() + " for " +
                                shown_url(job) + ": " + std::strerror(errno),
                            true);
    }
    Measure measure;
    try {
        auto session = session_for(uri);
        Poco::Net::HTTPRequest request("GET", uri.getPathAndQuery(),
                                       Poco::Net::HTTPMessage::HTTP_1_1);
        session->sendRequest(request);
        Poco::Net::HTTPResponse response;
        std::istream& body = session->receiveResponse(response);
        const int status = static_cast<int>(response.getStatus());
        if (status != 200) {
            throw AnalysisError("file_missing",
                                "GET " + shown_url(job) + " answered " + std::to_string(status) +
                                    " " + response.getReason(),
                                status >= 500);
        }
        char buffer[64 * 1024];
        while (measure.size() <= job.size_bytes) {
            const auto wanted = static_cast<std::streamsize>(
                std::min<std::uint64_t>(sizeof buffer, job.size_bytes + 1 - measure.size()));
            body.read(buffer, wanted);
            const auto count = static_cast<std::size_t>(body.gcount());
            if (count == 0)
                break;
            measure.add(buffer, count);
            for (std::size_t written = 0; written < count;) {
                const ssize_t n = ::write(fd.get(), buffer + written, count - written);
                if (n < 0 && errno != EINTR) {
                    throw AnalysisError("file_missing",
                                        "cannot write the image of " + shown_url(job) +
                                            " to a temporary file: " + std::strerror(errno),
                                        true);
                }
                written += n > 0 ? static_cast<std::size_t>(n) : 0;
            }
        }
    } catch (const Poco::Exception& e) {
        throw AnalysisError("file_missing", "GET " + shown_url(job) + ": " + e.displayText(), true);
    }
    expect_job_file(job, shown_url(job), measure.size(), measure.hex());
    std::FILE* file = ::fdopen(fd.get(), "rb");
    if (file == nullptr)
        throw missing(job, errno);
    fd.release();
    return file;
}

}  // namespace

VerifiedImage::VerifiedImage(const Job& job, const std::string& storage_root) {
    if (!job.file_url.empty()) {
        file_ = fetch(job);
        return;
    }
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
        expect_job_file(job, job.file_path, size, hash);
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
