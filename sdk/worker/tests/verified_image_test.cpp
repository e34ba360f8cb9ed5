// Which files a job message can make the worker read: only regular files below its storage
// root, read no further than the size the message declares.
#include "verified_image.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fake_context.h"
#include "test_images.h"
#include "vision_service.h"

namespace visiongw::worker::testing {
namespace {

namespace fs = std::filesystem;

class VerifiedImageTest : public ::testing::Test {
protected:
    void SetUp() override {
        fs::create_directories(root_ + "/ab/cd");
        std::ofstream(stored_) << "the stored leaf";
        std::ofstream(outside_) << "a file beside the storage root, of another size";
    }

    // The job of PROTOCOL.md naming `path`, declaring the size and hash of `described`.
    Job job_naming(const std::string& path, const std::string& described) const {
        Job job = job_for_file(described, "pest");
        job.file_path = path;
        return job;
    }

    // The AnalysisError of opening `job` below `root`; fails the test when it opens.
    static AnalysisError refusal(const Job& job, const std::string& root) {
        try {
            VerifiedImage image(job, root);
        } catch (const AnalysisError& e) {
            return e;
        }
        ADD_FAILURE() << job.file_path << " was opened below " << root;
        return AnalysisError("", "", false);
    }

    ScratchDir dir_;
    const std::string root_ = dir_.file("files");
    const std::string stored_ = root_ + "/ab/cd/leaf.png";
    const std::string outside_ = dir_.file("secret.png");
};

TEST_F(VerifiedImageTest, OpensARegularFileBelowTheRoot) {
    for (const std::string& root : {root_, root_ + "/", dir_.path() + "/./files"}) {
        VerifiedImage image(job_naming(stored_, stored_), root);
        char text[64] = {};
        EXPECT_EQ(std::fread(text, 1, sizeof text, image.rewound()), 15u) << root;
        EXPECT_STREQ(text, "the stored leaf");
    }
}

// The gateway may name the root by another spelling of the same folder (its real path).
TEST_F(VerifiedImageTest, AcceptsTheRootsRealPath) {
    const std::string alias = dir_.file("alias");
    fs::create_directory_symlink(root_, alias);
    VerifiedImage by_real_path(job_naming(stored_, stored_), alias);
    VerifiedImage by_alias(job_naming(alias + "/ab/cd/leaf.png", stored_), alias);
}

// An error about a file outside the root names the path and the rule, never the file's size or
// hash: the worker does not open it.
TEST_F(VerifiedImageTest, RefusesEveryPathThatLeavesTheRootAsFileForbidden) {
    fs::create_symlink(outside_, root_ + "/ab/cd/link.png");
    fs::create_directory_symlink(dir_.path(), root_ + "/ab/out");
    fs::create_directories(dir_.file("files-other"));
    fs::copy_file(outside_, dir_.file("files-other/secret.png"));
    const std::string hash = sha256_of_file(outside_);
    const std::string size = std::to_string(size_of_file(outside_));
    for (const std::string& path : {
             outside_,
             root_ + "/../secret.png",
             root_ + "/ab/../../secret.png",
             root_ + "/ab/cd/link.png",
             root_ + "/ab/out/secret.png",
             dir_.file("files-other/secret.png"),
             root_ + "/ab/./cd/leaf.png",
             root_ + "//ab/cd/leaf.png",
             root_ + "/ab/cd/leaf.png/",
             std::string("files/ab/cd/leaf.png"),
             root_,
             root_ + "/ab/cd/leaf.png" + std::string(1, '\0') + "x",
         }) {
        const AnalysisError error = refusal(job_naming(path, stored_), root_);
        EXPECT_EQ(error.code(), "file_forbidden") << path << ": " << error.what();
        EXPECT_FALSE(error.retryable());
        const std::string message = error.what();
        EXPECT_EQ(message.find(hash), std::string::npos) << message;
        EXPECT_EQ(message.find(size), std::string::npos) << message;
    }
}

TEST_F(VerifiedImageTest, RefusesWhatIsNotARegularFileWithoutWaitingOnIt) {
    ASSERT_EQ(::mkfifo((root_ + "/ab/cd/pipe.png").c_str(), 0600), 0);
    for (const std::string& path : {root_ + "/ab/cd/pipe.png", root_ + "/ab/cd"}) {
        const AnalysisError error = refusal(job_naming(path, stored_), root_);
        EXPECT_EQ(error.code(), "file_forbidden") << path << ": " << error.what();
    }
}

TEST_F(VerifiedImageTest, MissingFileBelowTheRootIsFileMissing) {
    for (const std::string& path : {root_ + "/ab/cd/gone.png", root_ + "/zz/cd/gone.png"}) {
        const AnalysisError error = refusal(job_naming(path, stored_), root_);
        EXPECT_EQ(error.code(), "file_missing") << path << ": " << error.what();
    }
    const std::string nowhere = dir_.file("nowhere");
    const AnalysisError no_root =
        refusal(job_naming(nowhere + "/ab/cd/leaf.png", stored_), nowhere);
    EXPECT_EQ(no_root.code(), "file_missing") << no_root.what();
}

// A file far larger than the message says is refused without reading it all: the read stops
// after the declared size.
TEST_F(VerifiedImageTest, ReadsNoFurtherThanTheDeclaredSize) {
    const std::string huge = root_ + "/ab/cd/huge.png";
    std::ofstream(huge) << "x";
    fs::resize_file(huge, std::uintmax_t{1} << 40);  // sparse: a terabyte of holes
    const AnalysisError error = refusal(job_naming(huge, stored_), root_);
    EXPECT_EQ(error.code(), "file_mismatch") << error.what();

    Job other_hash = job_naming(stored_, stored_);
    other_hash.file_hash = std::string(64, 'a');
    EXPECT_EQ(refusal(other_hash, root_).code(), "file_mismatch");
}

// A job with a file_url (object storage) is fetched with a plain GET, checked like a file, and
// needs no storage root at all; messages never show the URL's query (its signature).
TEST_F(VerifiedImageTest, FetchesAFileUrlAndChecksItsSizeAndHash) {
    const std::string leaf = "the stored leaf";
    const std::vector<visiongw::testing::ServiceReply> replies{
        {.status = 200, .body = leaf},
        {.status = 200, .body = "the stored lead"},
        {.status = 200, .body = leaf + " and more"},
        {.status = 403, .body = "<Error><Code>AccessDenied</Code></Error>"},
        {.status = 503, .body = ""}};
    visiongw::testing::VisionService store([&](int index) { return replies.at(index); });
    Job job = job_naming("s3://bucket/images/leaf.png", stored_);
    job.file_url = store.url("/bucket/images/leaf.png?X-Amz-Signature=secret");
    const std::string nowhere = dir_.file("no-root");

    VerifiedImage image(job, nowhere);
    char bytes[64] = {};
    EXPECT_EQ(std::fread(bytes, 1, sizeof bytes, image.rewound()), leaf.size());
    EXPECT_EQ(std::string(bytes), leaf);

    for (const auto& [code, retryable] : std::vector<std::pair<std::string, bool>>{
             {"file_mismatch", false},   // other bytes of the same size
             {"file_mismatch", false},   // more bytes
             {"file_missing", false},    // refused (expired URL)
             {"file_missing", true}}) {  // the store is in trouble
        const AnalysisError error = refusal(job, nowhere);
        EXPECT_EQ(error.code(), code) << error.what();
        EXPECT_EQ(error.retryable(), retryable) << error.what();
        EXPECT_EQ(std::string(error.what()).find("secret"), std::string::npos) << error.what();
    }
    Job not_http = job;
    not_http.file_url = "file:///etc/passwd";
    EXPECT_EQ(refusal(not_http, nowhere).code(), "file_forbidden");
}

}  // namespace
}  // namespace visiongw::worker::testing
