#include "local_storage.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <barrier>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <limits>
#include <thread>

#include "files.h"
#include "visiongw/sdk/abi.h"
#include "visiongw/sdk/export.h"

namespace visiongw::local {
namespace {

namespace fs = std::filesystem;
using std::chrono::system_clock;

// The storage never checks that a name matches the content (the core computes it), so any
// well-formed digests do.
const std::string kSha = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
const std::string kOtherSha = "0f" + std::string(62, 'e');

class DiscardingLog final : public sdk::PluginLog {
public:
    void write(sdk::LogLevel, std::string_view) override {}
};

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

std::size_t count_entries(const fs::path& folder) {
    return static_cast<std::size_t>(
        std::distance(fs::directory_iterator(folder), fs::directory_iterator()));
}

void set_mtime(const fs::path& path, system_clock::time_point when) {
    const auto since_epoch = when.time_since_epoch();
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    const timespec times[2] = {{seconds.count(), 0}, {seconds.count(), 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
}

// Each test gets a fresh folder and a configured, started storage with a one-hour TTL.
class LocalStorageTest : public ::testing::Test {
protected:
    void SetUp() override { configure(storage_, {}); }

    // Where the store keeps its uploads until they are published.
    fs::path temp_folder() const { return root_ / "visiongw-tmp"; }

    sdk::PluginConfig config(const std::map<std::string, sdk::OptionValue>& overrides) const {
        std::map<std::string, sdk::OptionValue> values{{"root", root_.string()},
                                                       {"file_ttl_seconds", std::int64_t{3600}},
                                                       {"min_free_bytes", std::int64_t{0}},
                                                       {"fsync", false}};
        for (const auto& [name, value] : overrides)
            values[name] = value;
        return sdk::PluginConfig("local", values);
    }

    void configure(sdk::Plugin& plugin, const std::map<std::string, sdk::OptionValue>& overrides) {
        plugin.configure(config(overrides), context_);
        plugin.start();
    }

    sdk::StoredBlob store(sdk::StorageBackend& storage, std::string_view bytes,
                          const std::string& sha = kSha) {
        auto writer = storage.begin_write();
        const std::size_t half = bytes.size() / 2;
        writer->write(bytes.data(), half);
        writer->write(bytes.data() + half, bytes.size() - half);
        return writer->commit(sha, "jpg");
    }

    fs::path blob_path(const std::string& sha) const {
        return root_ / sha.substr(0, 2) / sha.substr(2, 2) / (sha + ".jpg");
    }

    DiscardingLog log_;
    sdk::PluginContext context_{log_};
    testing::ScratchDir scratch_;
    fs::path folder_ = scratch_.path();
    fs::path root_ = folder_ / "files";
    LocalStorage storage_;
};

TEST_F(LocalStorageTest, CommitPublishesBytesAtTheFanOutPath) {
    const sdk::StoredBlob blob = store(storage_, "leaf bytes");
    EXPECT_EQ(blob.key, kSha + ".jpg");
    EXPECT_EQ(blob.location, blob_path(kSha).string());
    EXPECT_EQ(blob.size, 10u);
    EXPECT_FALSE(blob.deduplicated);
    EXPECT_EQ(read_file(blob_path(kSha)), "leaf bytes");
    EXPECT_EQ(count_entries(temp_folder()), 0u);

    const auto stat = storage_.stat(blob.key);
    ASSERT_TRUE(stat.has_value());
    EXPECT_EQ(stat->size, 10u);
    EXPECT_EQ(stat->location, blob.location);
    auto stream = storage_.open(blob.key);
    ASSERT_NE(stream, nullptr);
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(*stream), {}), "leaf bytes");
}

TEST_F(LocalStorageTest, IdenticalContentIsStoredOnceAndItsTtlRestarts) {
    store(storage_, "same bytes");
    set_mtime(blob_path(kSha), system_clock::now() - std::chrono::hours(5));

    const sdk::StoredBlob again = store(storage_, "same bytes");
    EXPECT_TRUE(again.deduplicated);
    EXPECT_EQ(again.location, blob_path(kSha).string());
    EXPECT_EQ(count_entries(blob_path(kSha).parent_path()), 1u);
    EXPECT_EQ(count_entries(temp_folder()), 0u);
    EXPECT_GT(storage_.stat(again.key)->stored_at, system_clock::now() - std::chrono::minutes(1));
}

TEST_F(LocalStorageTest, AbortRemovesTheTemporaryFile) {
    auto writer = storage_.begin_write();
    writer->write("partial", 7);
    EXPECT_EQ(count_entries(temp_folder()), 1u);
    writer->abort();
    EXPECT_EQ(count_entries(temp_folder()), 0u);
    EXPECT_THROW(writer->write("more", 4), sdk::Error);
    EXPECT_THROW(writer->commit(kSha, "jpg"), sdk::Error);
    EXPECT_FALSE(fs::exists(blob_path(kSha)));
}

TEST_F(LocalStorageTest, WriterDestroyedWithoutCommitRemovesTheTemporaryFile) {
    storage_.begin_write()->write("partial", 7);
    EXPECT_EQ(count_entries(temp_folder()), 0u);
}

TEST_F(LocalStorageTest, RejectsKeysThatAreNotDigestAndExtension) {
    for (const auto& [sha, extension] :
         std::vector<std::pair<std::string, std::string>>{{"../../../etc/passwd", "jpg"},
                                                          {std::string(64, 'A'), "jpg"},
                                                          {std::string(63, 'a'), "jpg"},
                                                          {std::string(65, 'a'), "jpg"},
                                                          {kSha, "JPG"},
                                                          {kSha, "jp/g"},
                                                          {kSha, ""},
                                                          {kSha, "abcdefghi"},
                                                          {kSha, "jpg.sh"}}) {
        auto writer = storage_.begin_write();
        writer->write("x", 1);
        EXPECT_THROW(writer->commit(sha, extension), sdk::Error) << sha << "." << extension;
    }
    EXPECT_EQ(count_entries(root_), 1u);  // only visiongw-tmp/
    EXPECT_EQ(count_entries(temp_folder()), 0u);
    EXPECT_THROW(storage_.stat("../files/tmp"), sdk::Error);
    EXPECT_THROW(storage_.open(kSha + "./"), sdk::Error);
    EXPECT_THROW(storage_.remove("/etc/passwd"), sdk::Error);
}

TEST_F(LocalStorageTest, ExpiredHonoursTheTtl) {
    store(storage_, "old", kSha);
    store(storage_, "new", kOtherSha);
    const auto now = system_clock::now();
    set_mtime(blob_path(kSha), now - std::chrono::hours(2));

    const auto expired = storage_.expired(now);
    ASSERT_EQ(expired.size(), 1u);
    EXPECT_EQ(expired[0].key, kSha + ".jpg");
    EXPECT_EQ(expired[0].location, blob_path(kSha).string());
    EXPECT_EQ(storage_.expired(now + std::chrono::hours(2)).size(), 2u);
    EXPECT_TRUE(storage_.expired(now - std::chrono::hours(3)).empty());
}

TEST_F(LocalStorageTest, StatsCountCommittedBlobsOnly) {
    store(storage_, "old!", kSha);
    store(storage_, "newer", kOtherSha);
    const auto now = system_clock::now();
    const auto old_time = now - std::chrono::hours(2);
    set_mtime(blob_path(kSha), old_time);
    auto unfinished = storage_.begin_write();
    unfinished->write("in flight", 9);

    const sdk::StorageStats stats = storage_.stats(now);
    EXPECT_EQ(stats.files, 2u);
    EXPECT_EQ(stats.bytes, 9u);
    ASSERT_TRUE(stats.oldest.has_value());
    EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(*stats.oldest - old_time).count(),
              0);
    EXPECT_EQ(stats.expired_files, 1u);
    EXPECT_EQ(stats.expired_bytes, 4u);
    ASSERT_TRUE(stats.free_bytes.has_value());
    EXPECT_GT(*stats.free_bytes, 0u);
}

TEST_F(LocalStorageTest, RemoveDeletesTheBlob) {
    const sdk::StoredBlob blob = store(storage_, "bytes");
    EXPECT_TRUE(storage_.remove(blob.key));
    EXPECT_FALSE(storage_.remove(blob.key));
    EXPECT_FALSE(storage_.stat(blob.key).has_value());
    EXPECT_EQ(storage_.open(blob.key), nullptr);
    EXPECT_EQ(storage_.stats(system_clock::now()).files, 0u);
}

TEST_F(LocalStorageTest, RefusesUploadsBelowTheFreeSpaceFloor) {
    LocalStorage full;
    configure(full, {{"min_free_bytes", std::numeric_limits<std::int64_t>::max()}});
    EXPECT_THROW(full.begin_write(), sdk::StorageFull);
    const sdk::Health health = full.health();
    EXPECT_FALSE(health.ok);
    EXPECT_NE(health.detail.find("below the floor"), std::string::npos) << health.detail;
}

TEST_F(LocalStorageTest, HealthReportsFreeSpace) {
    const sdk::Health health = storage_.health();
    EXPECT_TRUE(health.ok) << health.detail;
    EXPECT_NE(health.detail.find("bytes free in " + root_.string()), std::string::npos);
    EXPECT_EQ(count_entries(temp_folder()), 0u);
}

TEST_F(LocalStorageTest, ConfigureRejectsARootThatCannotBeCreated) {
    std::ofstream(folder_ / "plain-file") << "not a folder";
    const fs::path root = folder_ / "plain-file" / "files";
    LocalStorage storage;
    try {
        storage.configure(config({{"root", root.string()}}), context_);
        FAIL() << "configure accepted " << root;
    } catch (const sdk::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find(root.string()), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("Not a directory"), std::string::npos) << e.what();
    }
    EXPECT_THROW(storage.configure(config({{"root", std::string()}}), context_), sdk::ConfigError);
}

TEST_F(LocalStorageTest, StartRemovesStaleTemporaryFiles) {
    const fs::path stale = temp_folder() / "upload-1-1.part";
    const fs::path recent = temp_folder() / "upload-1-2.part";
    std::ofstream(stale) << "crash leftover";
    std::ofstream(recent) << "another process's upload";
    set_mtime(stale, system_clock::now() - std::chrono::hours(2));
    storage_.start();
    EXPECT_FALSE(fs::exists(stale));
    EXPECT_TRUE(fs::exists(recent));
}

// With root = "/", root/tmp would be the system's /tmp: start-up removes only stale files named
// like the store's own temporary files, and only from its own temporary folder.
TEST_F(LocalStorageTest, StartRemovesNothingButItsOwnStaleTemporaryFiles) {
    fs::create_directories(root_ / "tmp");
    const std::vector<fs::path> foreign{
        root_ / "tmp" / "session.lock",      root_ / "tmp" / "upload-1-1.part",
        temp_folder() / "notes.txt",         temp_folder() / "upload-1-1.part.bak",
        temp_folder() / "upload-x-1.part",   temp_folder() / "upload-1-.part",
        temp_folder() / "download-1-1.part", temp_folder() / "upload-1-1-1.part",
    };
    const std::vector<fs::path> own{temp_folder() / "upload-12-3.part",
                                    temp_folder() / "health-4-56.part"};
    for (const auto* paths : {&foreign, &own}) {
        for (const fs::path& path : *paths) {
            std::ofstream(path) << "left two hours ago";
            set_mtime(path, system_clock::now() - std::chrono::hours(2));
        }
    }
    storage_.start();
    for (const fs::path& path : foreign)
        EXPECT_TRUE(fs::exists(path)) << path << " was removed";
    for (const fs::path& path : own)
        EXPECT_FALSE(fs::exists(path)) << path << " was left";
}

TEST_F(LocalStorageTest, ConfigureRefusesATemporaryFolderThatLeadsElsewhere) {
    const fs::path root = folder_ / "linked";
    fs::create_directories(root);
    fs::create_directory_symlink(folder_, root / "visiongw-tmp");
    LocalStorage storage;
    try {
        storage.configure(config({{"root", root.string()}}), context_);
        FAIL() << "configure accepted a symbolic link as its temporary folder";
    } catch (const sdk::ConfigError& e) {
        EXPECT_NE(
            std::string(e.what()).find((root / "visiongw-tmp").string() + " is a symbolic link"),
            std::string::npos)
            << e.what();
    }
}

TEST_F(LocalStorageTest, FsyncOptionStillPublishes) {
    LocalStorage durable;
    configure(durable, {{"fsync", true}});
    EXPECT_EQ(read_file(store(durable, "durable").location), "durable");
}

TEST_F(LocalStorageTest, StopClosesEveryCommittedFile) {
    const std::size_t open_before = count_entries("/proc/self/fd");
    for (const std::string& sha : {kSha, kOtherSha, kSha})
        store(storage_, "leaf " + sha, sha);
    storage_.stop();
    EXPECT_EQ(count_entries("/proc/self/fd"), open_before);
    EXPECT_THROW(storage_.begin_write(), sdk::Error);
}

TEST_F(LocalStorageTest, ConcurrentCommitsOfTheSameContentLeaveOneFile) {
    constexpr int kUploads = 8;
    std::barrier all_written(kUploads);
    std::vector<sdk::StoredBlob> blobs(kUploads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kUploads; ++i) {
        threads.emplace_back([&, i] {
            auto writer = storage_.begin_write();
            writer->write("same image", 10);
            all_written.arrive_and_wait();
            blobs[i] = writer->commit(kSha, "jpg");
        });
    }
    for (std::thread& thread : threads)
        thread.join();

    const auto fresh = std::count_if(blobs.begin(), blobs.end(),
                                     [](const sdk::StoredBlob& b) { return !b.deduplicated; });
    EXPECT_EQ(fresh, 1);
    EXPECT_EQ(count_entries(blob_path(kSha).parent_path()), 1u);
    EXPECT_EQ(count_entries(temp_folder()), 0u);
    EXPECT_EQ(read_file(blob_path(kSha)), "same image");
}

// The built plugin library exports the handshake and a factory whose objects work.
TEST_F(LocalStorageTest, PluginLibraryExportsHandshakeAndFactory) {
    void* library = ::dlopen(VISIONGW_LOCAL_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(library, nullptr) << ::dlerror();
    const auto handshake =
        reinterpret_cast<visiongw_handshake_fn>(::dlsym(library, VISIONGW_HANDSHAKE_SYMBOL));
    ASSERT_NE(handshake, nullptr);
    const visiongw_plugin_info* info = handshake();
    EXPECT_EQ(info->abi_version, VISIONGW_SDK_ABI_VERSION);
    EXPECT_STREQ(info->build_signature, VISIONGW_BUILD_SIGNATURE);
    EXPECT_STREQ(info->name, "local");
    EXPECT_STREQ(info->kind, sdk::kStorageKind);
    std::vector<std::string> options;
    for (std::size_t i = 0; i < info->option_count; ++i)
        options.emplace_back(info->options[i].name);
    EXPECT_EQ(options,
              (std::vector<std::string>{"root", "file_ttl_seconds", "min_free_bytes", "fsync"}));

    const auto* alias = static_cast<const void* const*>(::dlsym(library, VISIONGW_FACTORY_SYMBOL));
    ASSERT_NE(alias, nullptr);
    const auto factory = reinterpret_cast<sdk::PluginFactory*>(const_cast<void*>(*alias));
    {
        std::unique_ptr<sdk::Plugin> plugin = factory();
        auto* storage = dynamic_cast<sdk::StorageBackend*>(plugin.get());
        ASSERT_NE(storage, nullptr);
        configure(*storage, {});
        EXPECT_EQ(read_file(store(*storage, "via plugin").location), "via plugin");
    }
    ::dlclose(library);
}

}  // namespace
}  // namespace visiongw::local
