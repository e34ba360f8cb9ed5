#include "verified_image.h"

#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace visiongw::worker {
namespace {

// Reads the whole file, returning its size and lowercase hex SHA-256.
std::pair<std::uint64_t, std::string> measure(std::FILE* file, const std::string& path) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> digest(EVP_MD_CTX_new(),
                                                                   EVP_MD_CTX_free);
    if (!digest || EVP_DigestInit_ex(digest.get(), EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("cannot start a SHA-256 digest");
    }
    std::uint64_t size = 0;
    char buffer[64 * 1024];
    while (std::size_t count = std::fread(buffer, 1, sizeof buffer, file)) {
        EVP_DigestUpdate(digest.get(), buffer, count);
        size += count;
    }
    if (std::ferror(file)) {
        throw AnalysisError("file_missing", "cannot read " + path + ": " + std::strerror(errno),
                            false);
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

VerifiedImage::VerifiedImage(const Job& job) : file_(std::fopen(job.file_path.c_str(), "rb")) {
    if (file_ == nullptr) {
        throw AnalysisError("file_missing",
                            "cannot open " + job.file_path + ": " + std::strerror(errno), false);
    }
    try {
        auto [size, hash] = measure(file_, job.file_path);
        if (size != job.size_bytes) {
            throw AnalysisError("file_mismatch",
                                job.file_path + " has " + std::to_string(size) +
                                    " bytes, the job says " + std::to_string(job.size_bytes),
                                false);
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
