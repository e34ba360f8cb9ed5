// Fuzzes the decoding of a job message, the one input a worker takes from the queue: any body is
// either refused with protocol::MalformedMessage (and nothing else) or decoded into a message
// whose encoding decodes to itself — what a worker passes on is stable after one round trip.
#include <string>

#include "fuzz_support.h"
#include "visiongw/protocol/job_message.h"

namespace {

namespace protocol = visiongw::protocol;
using visiongw::fuzz::require;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    protocol::JobMessage message;
    try {
        message = protocol::decode_job_message(body);
    } catch (const protocol::MalformedMessage&) {
        return 0;
    }
    require(!message.job_id.empty() && !message.file_path.empty(), "an empty id or path passed");
    require(message.file_hash.size() == 64, "a file hash that is not 64 hex digits passed");
    const std::string encoded = protocol::encode_job_message(message);
    protocol::JobMessage again;
    try {
        again = protocol::decode_job_message(encoded);
    } catch (const protocol::MalformedMessage&) {
        require(false, "a decoded message, encoded again, is refused");
    }
    require(protocol::encode_job_message(again) == encoded,
            "encode(decode(encode(message))) differs from encode(message)");
    return 0;
}
