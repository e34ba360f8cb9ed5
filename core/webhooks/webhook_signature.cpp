#include "webhooks/webhook_signature.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

namespace visiongw::core {

std::string webhook_signature(std::string_view secret, std::int64_t unix_time,
                              std::string_view body) {
    const std::string t = std::to_string(unix_time);
    const std::string signed_text = t + "." + std::string(body);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
             reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), digest,
             &length) == nullptr) {
        throw std::runtime_error("HMAC-SHA256 of a webhook body failed");
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "t=" + t + ",v1=";
    for (unsigned int i = 0; i < length; ++i) {
        out += kHex[digest[i] >> 4];
        out += kHex[digest[i] & 0xF];
    }
    return out;
}

}  // namespace visiongw::core
