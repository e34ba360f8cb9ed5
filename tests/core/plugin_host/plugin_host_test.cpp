// The plugin loader against real shared libraries built by this test suite (fixtures/).
#include "plugin_host/plugin_host.h"

#include <gtest/gtest.h>
#include <link.h>

#include <filesystem>

#include "config/ini_document.h"
#include "config/option_table.h"
#include "core_testing.h"
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
    PluginHost host(fixture_dir("good"));
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
    PluginHost host(fixture_dir("good"));
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
        PluginHost host(fixture_dir("good"));
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
    EXPECT_EQ(startup_error_of([] { PluginHost host(fixture_dir("other_abi")); }),
              "plugin " + fixture_library("other_abi", "future") + ": built for SDK ABI version " +
                  std::to_string(VISIONGW_SDK_ABI_VERSION + 1) + ", this gateway has version " +
                  std::to_string(VISIONGW_SDK_ABI_VERSION));
}

TEST(PluginHostTest, RefusesALibraryOfThePreviousAbiVersion) {
    // Built against version 1, whose option entries lack `choices` and `env`.
    EXPECT_EQ(startup_error_of([] { PluginHost host(fixture_dir("old_abi")); }),
              "plugin " + fixture_library("old_abi", "veteran") +
                  ": built for SDK ABI version 1, this gateway has version " +
                  std::to_string(VISIONGW_SDK_ABI_VERSION));
}

TEST(PluginHostTest, RefusesALibraryWithoutHandshake) {
    EXPECT_EQ(startup_error_of([] { PluginHost host(fixture_dir("no_handshake")); }),
              "plugin " + fixture_library("no_handshake", "anonymous") +
                  ": exports no visiongw_plugin_handshake(); not a Vision Gateway plugin");
}

TEST(PluginHostTest, ReportsAFactoryThatThrows) {
    PluginHost host(fixture_dir("throwing"));
    EXPECT_EQ(startup_error_of(
                  [&] { host.create<sdk::AnalysisValidator>("refusing", sdk::kAnalysisKind); }),
              "plugin 'refusing' (" + fixture_library("throwing", "refusing") +
                  "): factory failed: the fixture refuses to be made");
}

TEST(PluginHostTest, RefusesTwoLibrariesClaimingOneName) {
    EXPECT_EQ(startup_error_of([] { PluginHost host(fixture_dir("duplicate")); }),
              "plugins " + fixture_library("duplicate", "twin-a") + " and " +
                  fixture_library("duplicate", "twin-b") + " both claim the name 'twin'");
}

TEST(PluginHostTest, RefusesToCreateAPluginUnderAnotherKind) {
    PluginHost host(fixture_dir("good"));
    EXPECT_EQ(
        startup_error_of([&] { host.create<sdk::StorageBackend>("good", sdk::kStorageKind); }),
        "plugin 'good' (" + fixture_library("good", "good") +
            ") is of kind 'analysis', not 'storage'");
}

TEST(PluginHostTest, RefusesAPluginThatDoesNotImplementItsDeclaredKind) {
    PluginHost host(fixture_dir("wrong_interface"));
    EXPECT_EQ(
        startup_error_of([&] { host.create<sdk::StorageBackend>("impostor", sdk::kStorageKind); }),
        "plugin 'impostor' (" + fixture_library("wrong_interface", "impostor") +
            ") does not implement the storage interface of this SDK");
}

TEST(PluginHostTest, NamesThePluginsThereWhenOneIsMissing) {
    PluginHost host(fixture_dir("good"));
    EXPECT_EQ(startup_error_of([&] { host.find("absent"); }),
              "no plugin named 'absent' in " + fixture_dir("good") + " (it holds: good)");
}

}  // namespace
}  // namespace visiongw::testing
