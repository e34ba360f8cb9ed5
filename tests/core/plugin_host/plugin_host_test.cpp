// The plugin loader against real shared libraries built by this test suite (fixtures/).
#include "plugin_host/plugin_host.h"

#include <gtest/gtest.h>
#include <link.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "config/ini_document.h"
#include "config/option_table.h"
#include "core_testing.h"
#include "files.h"
#include "visiongw/sdk/analysis.h"
#include "visiongw/sdk/storage.h"

namespace visiongw::testing {
namespace {

using core::PluginHost;

// Whether the library at `path` is mapped into this process.
bool is_mapped(const std::string& path) {
    struct Search {
        std::filesystem::path wanted;
        bool found = false;
    } search{std::filesystem::canonical(path)};
    dl_iterate_phdr(
        [](dl_phdr_info* info, std::size_t, void* data) {
            auto* search = static_cast<Search*>(data);
            std::error_code error;
            if (info->dlpi_name != nullptr && *info->dlpi_name != '\0' &&
                std::filesystem::equivalent(info->dlpi_name, search->wanted, error)) {
                search->found = true;
            }
            return 0;
        },
        &search);
    return search.found;
}

// Discards what plugins log.
class SilentLog : public sdk::PluginLog {
public:
    void write(sdk::LogLevel, std::string_view) override {}
};

TEST(PluginHostTest, ListsAGoodPluginWithItsHandshake) {
    PluginHost host = PluginHost::scan(fixture_dir("good"));
    ASSERT_EQ(host.libraries().size(), 1u);
    const core::PluginLibrary& library = host.libraries().front();
    EXPECT_EQ(library.path, fixture_library("good", "good"));
    EXPECT_EQ(library.name, "good");
    EXPECT_EQ(library.kind, "analysis");
    EXPECT_EQ(library.version, "2.1.0");
    EXPECT_EQ(core::describe_options(library.options),
              "  label (string, required)\n"
              "      what health() reports\n"
              "  threshold (number, default 0.5, min 0, max 1)\n"
              "      default threshold of a submit\n");
    EXPECT_EQ(&host.find("good"), &library);
}

TEST(PluginHostTest, CreatedObjectWorksWithItsValidatedConfig) {
    PluginHost host = PluginHost::scan(fixture_dir("good"));
    auto document = core::IniDocument::parse("[good]\nlabel = ready\nthreshold = 0.25\n", "t.ini");
    sdk::PluginConfig config = core::validate_section(document, "good", host.find("good").options);
    auto validator = host.create<sdk::AnalysisValidator>("good", sdk::kAnalysisKind);
    SilentLog log;
    sdk::PluginContext context{log};
    validator->configure(config, context);

    EXPECT_EQ(validator->analysis_type(), "good");
    EXPECT_EQ(validator->health().detail, "ready");
    EXPECT_EQ(std::get<double>(validator->validate({}).values.at("threshold")), 0.25);
    sdk::ValidatedParameters rejected = validator->validate({{"threshold", "2"}});
    ASSERT_EQ(rejected.errors.size(), 1u);
    EXPECT_EQ(rejected.errors[0].message, "threshold must be between 0 and 1, got 2");
}

TEST(PluginHostTest, ObjectKeepsItsLibraryLoadedAfterTheHostIsGone) {
    std::shared_ptr<sdk::AnalysisValidator> validator;
    std::weak_ptr<boost::dll::shared_library> library;
    {
        PluginHost host = PluginHost::scan(fixture_dir("good"));
        library = host.libraries().front().library;
        validator = host.create<sdk::AnalysisValidator>("good", sdk::kAnalysisKind);
    }
    EXPECT_FALSE(library.expired());
    EXPECT_TRUE(is_mapped(fixture_library("good", "good")));
    EXPECT_EQ(validator->analysis_type(), "good");
    EXPECT_EQ(validator->parameters().front().name, "threshold");

    validator.reset();
    // Boost.DLL's STB_GNU_UNIQUE symbols keep the file mapped; only the handle must be released.
    EXPECT_TRUE(library.expired());
}

TEST(PluginHostTest, RefusesALibraryOfAnotherAbiVersion) {
    EXPECT_EQ(
        startup_error_of([] { PluginHost host = PluginHost::scan(fixture_dir("other_abi")); }),
        "plugin " + fixture_library("other_abi", "future") + ": built for SDK ABI version " +
            std::to_string(VISIONGW_SDK_ABI_VERSION + 1) + ", this gateway has version " +
            std::to_string(VISIONGW_SDK_ABI_VERSION));
}

TEST(PluginHostTest, RefusesALibraryOfThePreviousAbiVersion) {
    // Built against version 1, whose option entries lack `choices` and `env`.
    EXPECT_EQ(startup_error_of([] { PluginHost host = PluginHost::scan(fixture_dir("old_abi")); }),
              "plugin " + fixture_library("old_abi", "veteran") +
                  ": built for SDK ABI version 1, this gateway has version " +
                  std::to_string(VISIONGW_SDK_ABI_VERSION));
}

TEST(PluginHostTest, RefusesALibraryWithoutHandshake) {
    EXPECT_EQ(
        startup_error_of([] { PluginHost host = PluginHost::scan(fixture_dir("no_handshake")); }),
        "plugin " + fixture_library("no_handshake", "anonymous") +
            ": exports no visiongw_plugin_handshake(); not a Vision Gateway plugin");
}

TEST(PluginHostTest, ReportsAFactoryThatThrows) {
    PluginHost host = PluginHost::scan(fixture_dir("throwing"));
    EXPECT_EQ(startup_error_of(
                  [&] { host.create<sdk::AnalysisValidator>("refusing", sdk::kAnalysisKind); }),
              "plugin 'refusing' (" + fixture_library("throwing", "refusing") +
                  "): factory failed: the fixture refuses to be made");
}

TEST(PluginHostTest, RefusesTwoLibrariesClaimingOneName) {
    EXPECT_EQ(
        startup_error_of([] { PluginHost host = PluginHost::scan(fixture_dir("duplicate")); }),
        "plugins " + fixture_library("duplicate", "twin-a") + " and " +
            fixture_library("duplicate", "twin-b") + " both claim the name 'twin'");
}

TEST(PluginHostTest, RefusesToCreateAPluginUnderAnotherKind) {
    PluginHost host = PluginHost::scan(fixture_dir("good"));
    EXPECT_EQ(
        startup_error_of([&] { host.create<sdk::StorageBackend>("good", sdk::kStorageKind); }),
        "plugin 'good' (" + fixture_library("good", "good") +
            ") is of kind 'analysis', not 'storage'");
}

TEST(PluginHostTest, RefusesAPluginThatDoesNotImplementItsDeclaredKind) {
    PluginHost host = PluginHost::scan(fixture_dir("wrong_interface"));
    EXPECT_EQ(
        startup_error_of([&] { host.create<sdk::StorageBackend>("impostor", sdk::kStorageKind); }),
        "plugin 'impostor' (" + fixture_library("wrong_interface", "impostor") +
            ") does not implement the storage interface of this SDK");
}

TEST(PluginHostTest, NamesThePluginsThereWhenOneIsMissing) {
    PluginHost host = PluginHost::scan(fixture_dir("good"));
    EXPECT_EQ(startup_error_of([&] { host.find("absent"); }),
              "no plugin named 'absent' in " + fixture_dir("good") + " (it holds: good)");
}

// The file the load_marker fixture appends to while the test lives.
class LoadMarker {
public:
    LoadMarker() { setenv("VISIONGW_FIXTURE_LOAD_MARKER", scratch_.file("marker").c_str(), 1); }
    ~LoadMarker() { unsetenv("VISIONGW_FIXTURE_LOAD_MARKER"); }
    // One "loaded" line per time the marked library was loaded.
    std::string loads() const { return scratch_.read("marker"); }

private:
    ScratchDir scratch_;
};

TEST(PluginHostTest, OpensOnlyTheNamedPlugins) {
    LoadMarker marker;
    PluginHost host = PluginHost::open(fixture_dir("selection"), {"good", "good"});
    ASSERT_EQ(host.libraries().size(), 1u);
    EXPECT_EQ(host.libraries().front().path, fixture_library("selection", "good"));
    EXPECT_EQ(marker.loads(), "");
    EXPECT_EQ(startup_error_of([&] { host.find("tripwire"); }),
              "no plugin named 'tripwire' in " + fixture_dir("selection") + " (it holds: good)");

    // The listing commands' scan does open it: the marker shows a load.
    PluginHost listed = PluginHost::scan(fixture_dir("selection"));
    EXPECT_EQ(listed.libraries().size(), 2u);
    EXPECT_EQ(marker.loads(), "loaded\n");
}

TEST(PluginHostTest, NamesTheFilesThereWhenANamedPluginHasNoFile) {
    LoadMarker marker;
    EXPECT_EQ(startup_error_of([] { PluginHost::open(fixture_dir("selection"), {"absent"}); }),
              "no plugin named 'absent' in " + fixture_dir("selection") +
                  ": no file visiongw-absent.so (it holds: good, tripwire)");
    EXPECT_EQ(marker.loads(), "");
}

TEST(PluginHostTest, RefusesALibraryWhoseHandshakeNamesAnotherPlugin) {
    EXPECT_EQ(startup_error_of([] { PluginHost::open(fixture_dir("duplicate"), {"twin-a"}); }),
              "plugin " + fixture_library("duplicate", "twin-a") +
                  ": its handshake names it 'twin', not 'twin-a' (the plugin NAME is the file "
                  "visiongw-NAME.so)");
}

TEST(PluginHostTest, RefusesAPluginNameThatReachesOutOfTheFolder) {
    EXPECT_EQ(startup_error_of([] { PluginHost::open(fixture_dir("good"), {"../good/x"}); }),
              "plugin name '../good/x': a plugin name is letters, digits, '_', '-' and '.'");
}

TEST(PluginHostTest, RefusesALibraryOfAnotherAbiVersionItWasAskedFor) {
    EXPECT_EQ(startup_error_of([] { PluginHost::open(fixture_dir("other_abi"), {"future"}); }),
              "plugin " + fixture_library("other_abi", "future") + ": built for SDK ABI version " +
                  std::to_string(VISIONGW_SDK_ABI_VERSION + 1) + ", this gateway has version " +
                  std::to_string(VISIONGW_SDK_ABI_VERSION));
}

// A plugin folder holding a copy of the fixture `good`, whose modes and owners a test changes.
class PluginFolderTest : public ::testing::Test {
protected:
    PluginFolderTest() {
        std::filesystem::copy_file(fixture_library("good", "good"), library());
        set_mode(folder(), 0755);
        set_mode(library(), 0755);
    }

    static void set_mode(const std::string& path, mode_t mode) {
        ASSERT_EQ(::chmod(path.c_str(), mode), 0) << path;
    }
    const std::string& folder() const { return scratch_.path(); }
    std::string library() const { return scratch_.file("visiongw-good.so"); }
    // The message of open's and scan's StartupError, which must be the same.
    std::string refusal() const {
        std::string opened = startup_error_of([&] { PluginHost::open(folder(), {"good"}); });
        EXPECT_EQ(startup_error_of([&] { PluginHost::scan(folder()); }), opened);
        return opened;
    }

    ScratchDir scratch_;
};

TEST_F(PluginFolderTest, OpensFromAFolderOnlyItsOwnerCanWrite) {
    EXPECT_EQ(PluginHost::open(folder(), {"good"}).libraries().size(), 1u);
}

TEST_F(PluginFolderTest, RefusesAFolderItsGroupCanWrite) {
    set_mode(folder(), 0775);
    EXPECT_EQ(refusal(), "plugin folder " + folder() +
                             " is writable by group (mode 0775); plugins are loaded only from a "
                             "folder and files that no one but their owner can write (chmod go-w)");
}

TEST_F(PluginFolderTest, RefusesAFolderOthersCanWriteEvenWithTheStickyBit) {
    set_mode(folder(), 0757);
    EXPECT_EQ(refusal(), "plugin folder " + folder() +
                             " is writable by others (mode 0757); plugins are loaded only from a "
                             "folder and files that no one but their owner can write (chmod go-w)");
    set_mode(folder(), 01777);
    EXPECT_EQ(refusal(), "plugin folder " + folder() +
                             " is writable by group and others (mode 1777); plugins are loaded "
                             "only from a folder and files that no one but their owner can write "
                             "(chmod go-w)");
}

TEST_F(PluginFolderTest, RefusesALibraryOthersCanWrite) {
    set_mode(library(), 0646);
    EXPECT_EQ(refusal(), "plugin " + library() +
                             " is writable by others (mode 0646); plugins are loaded only from a "
                             "folder and files that no one but their owner can write (chmod go-w)");
}

TEST_F(PluginFolderTest, RefusesAFolderOrLibraryOfAnotherUser) {
    if (::geteuid() != 0)
        GTEST_SKIP() << "giving a file to another user needs root";
    const uid_t nobody = 65534;
    ASSERT_EQ(::chown(library().c_str(), nobody, nobody), 0);
    EXPECT_EQ(refusal(), "plugin " + library() +
                             " is owned by uid 65534; plugins are loaded only from a folder and "
                             "files owned by root or by the gateway's user (uid 0)");
    ASSERT_EQ(::chown(folder().c_str(), nobody, nobody), 0);
    EXPECT_EQ(refusal(), "plugin folder " + folder() +
                             " is owned by uid 65534; plugins are loaded only from a folder and "
                             "files owned by root or by the gateway's user (uid 0)");
}

}  // namespace
}  // namespace visiongw::testing
