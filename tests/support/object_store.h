// The test run's S3-compatible object store (OpenStack Swift, started by scripts/lib/swift.sh),
// its address and credentials, and awscli as the independent client that checks what the
// gateway left there.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "files.h"
#include "processes.h"

namespace visiongw::testing {

inline constexpr const char* kS3AccessKey = "test:tester";  // Swift tempauth's user
inline constexpr const char* kS3SecretKey = "testing";
// A Swift user without the account's admin role: it may only read what an ACL lets it.
inline constexpr const char* kS3ReaderAccessKey = "test:reader";
inline constexpr const char* kS3ReaderSecretKey = "reading";

// http://127.0.0.1:PORT and the bucket scripts/test created; tests fail when they are not set.
std::string s3_endpoint();
std::string s3_bucket();

// `aws ARGUMENTS --output text` (stderr included) against the test store with its credentials
// (Debian's /usr/bin/aws: another `aws` may come first on PATH).
CommandRun aws_cli(const std::string& arguments);
// aws_cli("s3api " + arguments).
CommandRun aws_s3api(const std::string& arguments);
// The keys under `prefix` in the test bucket, sorted.
std::vector<std::string> object_keys(const std::string& prefix);
// Multipart uploads under `prefix` that were started and neither completed nor aborted.
std::size_t pending_multipart_uploads(const std::string& prefix);
// The lowercase hex SHA-256 of the object's bytes as awscli downloads them; empty when it
// cannot be read.
std::string object_sha256(const std::string& key);
// Removes every object under `prefix` (test cleanup).
void remove_objects(const std::string& prefix);

// A second Swift proxy server on a port of its own in front of the test store's servers: an S3
// endpoint a test may kill without disturbing the other tests. Started (and answering) by the
// constructor, killed by the destructor.
class DisposableS3Endpoint {
public:
    DisposableS3Endpoint();
    ~DisposableS3Endpoint();
    DisposableS3Endpoint(const DisposableS3Endpoint&) = delete;
    DisposableS3Endpoint& operator=(const DisposableS3Endpoint&) = delete;

    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    // SIGKILL, as a crash would: connections in progress are cut.
    void kill();

private:
    ScratchDir scratch_;
    int port_ = 0;
    pid_t pid_ = -1;
};

}  // namespace visiongw::testing
