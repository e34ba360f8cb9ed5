// The command line of the real visiongw binary: config checks, plugin listing, and start-up
// failures that must end the process with one clear line.
#include <Poco/Net/ServerSocket.h>
#include <Poco/Util/Application.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <sstream>

#include "config/gateway_settings.h"
#include "config/option_table.h"
#include "core_testing.h"
#include "plugin_host/plugin_host.h"

namespace visiongw::testing {
namespace {

constexpr int kConfigFailure = Poco::Util::Application::EXIT_CONFIG;

// A scratch folder with an ini that loads the build's plugins and keeps storage inside it.
class CliTest : public ::testing::Test {
protected:
    std::string write_ini(const std::string& extra = "") const {
        return write_ini_loading_from(plugin_dir(), extra);
    }
    std::string write_ini_loading_from(const std::string& plugin_dir,
                                       const std::string& extra = "") const {
        return scratch_.write("visiongw.ini", "[plugins]\ndir = " + plugin_dir +
                                                  "\n\n[local]\nroot = " + scratch_.file("files") +
                                                  "\n\n" + extra);
    }
    // A copy of the build's plugin folder (mode 0755) with the library `extra` added.
    std::string copy_of_build_plugins(const std::string& extra) const {
        const std::string dir = scratch_.file("plugins");
        std::filesystem::copy(plugin_dir(), dir);
        std::filesystem::copy_file(extra,
                                   dir + "/" + std::filesystem::path(extra).filename().string());
        std::filesystem::permissions(dir, std::filesystem::perms(0755));
        return dir;
    }
    GatewayRun run(const std::string& arguments, const std::string& environment = "") const {
        return run_gateway(scratch_, arguments, environment);
    }

    ScratchDir scratch_;
};

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

TEST_F(CliTest, ShippedConfigChecksOut) {
    std::string ini = std::string(VISIONGW_SOURCE_DIR) + "/etc/visiongw.ini";
    // The form of the acceptance check: the ini follows --check-config.
    GatewayRun result =
        run("--check-config " + ini, "FILE_STORAGE_TEMP_DIR=" + scratch_.file("files"));
    EXPECT_EQ(result.status, 0) << result.err;
    EXPECT_EQ(result.out, ini + ": configuration OK (6 plugins loaded)\n");
}

TEST_F(CliTest, GeneratedConfigChecksOut) {
    std::string ini = write_ini();
    GatewayRun result = run("--check-config --config=" + ini);
    EXPECT_EQ(result.status, 0) << result.err;
    EXPECT_EQ(result.out, ini + ": configuration OK (6 plugins loaded)\n");
}

TEST_F(CliTest, ListsTheSevenDefaultPlugins) {
    GatewayRun result = run("--list-plugins --config=" + write_ini());
    ASSERT_EQ(result.status, 0) << result.err;
    std::set<std::string> listed;
    for (const auto& line : lines_of(result.out)) {
        std::string name, kind, version, path;
        std::istringstream fields(line);
        std::getline(fields, name, '\t');
        std::getline(fields, kind, '\t');
        std::getline(fields, version, '\t');
        std::getline(fields, path);
        EXPECT_FALSE(version.empty()) << line;
        EXPECT_EQ(path, plugin_dir() + "/visiongw-" + name + ".so");
        listed.insert(name + " " + kind);
    }
    EXPECT_EQ(listed, (std::set<std::string>{"comprehensive analysis", "disease analysis",
                                             "local storage", "pest analysis", "rabbitmq queue",
                                             "redis job_store", "s3 storage"}));
}

TEST_F(CliTest, DescribesAPluginsOptions) {
    GatewayRun result = run("--describe-plugin redis --config=" + write_ini());
    ASSERT_EQ(result.status, 0) << result.err;
    core::PluginHost host = core::PluginHost::scan(plugin_dir());
    const core::PluginLibrary& redis = host.find("redis");
    EXPECT_EQ(result.out, "redis " + redis.version + " (job_store plugin, " + redis.path +
                              ")\noptions of [redis]:\n" + core::describe_options(redis.options));
    EXPECT_NE(result.out.find("  url (string"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find(", env REDIS_URL)"), std::string::npos) << result.out;
}

TEST_F(CliTest, DescribesAPluginsChoicesAndEnvironmentVariables) {
    GatewayRun result = run("--describe-plugin rabbitmq --config=" + write_ini());
    ASSERT_EQ(result.status, 0) << result.err;
    EXPECT_NE(result.out.find("  queue_type (string, default classic, one of classic or quorum)"),
              std::string::npos)
        << result.out;
    EXPECT_NE(result.out.find("  url (string, default amqp://guest:guest@127.0.0.1:5672/, env "
                              "RABBITMQ_URL)"),
              std::string::npos)
        << result.out;
}

TEST_F(CliTest, ConfigReferenceShowsChoicesAndEnvironmentVariables) {
    GatewayRun result = run("--config-reference --config=" + write_ini());
    ASSERT_EQ(result.status, 0) << result.err;
    for (const std::string row :
         {"| `listen` | string | `0.0.0.0:8080` |  | `VISIONGW_LISTEN` | host:port to listen on |",
          "| `level` | string | `info` | debug, info, warning or error |  | lowest level written |",
          "| `queue_type` | string | `classic` | classic or quorum |  | queue type of the job, "
          "event "
          "and dead-letter queues (quorum: replicated) |",
          "| `root` | string | `/var/lib/visiongw/files` |  | `FILE_STORAGE_TEMP_DIR` |"}) {
        EXPECT_NE(result.out.find(row), std::string::npos) << row << "\n" << result.out;
    }
}

TEST_F(CliTest, AValueOutsideAPluginsChoicesIsOneLineNamingThem) {
    std::string ini = write_ini("[rabbitmq]\nqueue_type = stream\n");
    GatewayRun result = run("--check-config --config=" + ini);
    EXPECT_EQ(result.status, kConfigFailure);
    EXPECT_EQ(result.err, "visiongw: " + ini +
                              ": [rabbitmq] queue_type: must be classic or quorum, got 'stream'\n");
}

TEST_F(CliTest, AnEnvironmentVariableReachesItsPluginInTheBinary) {
    std::string ini = write_ini("[redis]\nurl = redis://127.0.0.1:6379/0\n");
    GatewayRun result = run("--check-config --config=" + ini, "REDIS_URL=http://elsewhere/");
    EXPECT_EQ(result.status, kConfigFailure);
    EXPECT_EQ(result.err, "visiongw: " + ini +
                              ": [redis] redis url 'http://elsewhere/': scheme must be redis "
                              "(expected redis://[:password@]host:port[/db])\n");
}

TEST_F(CliTest, UnknownPluginKeyIsOneLineNamingFileSectionAndKey) {
    std::string ini = write_ini("[pest]\nconfidence = 0.5\n");
    GatewayRun result = run("--check-config --config=" + ini);
    core::PluginHost host = core::PluginHost::scan(plugin_dir());
    std::string valid;
    for (const auto& option : host.find("pest").options)
        valid += (valid.empty() ? "" : ", ") + std::string(option.name);
    EXPECT_EQ(result.status, kConfigFailure);
    EXPECT_EQ(result.err, "visiongw: " + ini +
                              ": [pest] confidence: unknown key; valid keys are: " + valid + "\n");
}

TEST_F(CliTest, UnknownSectionIsOneLineListingTheSections) {
    std::string ini = write_ini("[cameras]\nurl = rtsp://cam\n");
    GatewayRun result = run("--check-config --config=" + ini);
    std::set<std::string> known = core::foreign_sections();
    for (const auto& section : core::core_sections())
        known.insert(section.name);
    std::string sections;
    for (const auto& name : known)
        sections += name + ", ";
    EXPECT_EQ(result.status, kConfigFailure);
    EXPECT_EQ(result.err, "visiongw: " + ini +
                              ": [cameras] unknown section; sections are the gateway's and the "
                              "configured plugins': " +
                              sections + "local, redis, rabbitmq, pest, disease, comprehensive\n");
}

TEST_F(CliTest, EnvironmentOverrideWinsInTheBinary) {
    std::string ini = write_ini("[gateway]\nlisten = 127.0.0.1:8080\n");
    GatewayRun result = run("--check-config --config=" + ini, "VISIONGW_LISTEN=nowhere");
    EXPECT_EQ(result.status, kConfigFailure);
    EXPECT_EQ(result.err,
              "visiongw: " + ini + ": [gateway] listen: must be host:port, got 'nowhere'\n");
}

TEST_F(CliTest, PluginOfAnotherAbiVersionIsRefusedWithOneLine) {
    std::string ini =
        scratch_.write("abi.ini", "[plugins]\ndir = " + fixture_dir("other_abi") + "\n");
    GatewayRun result = run("--list-plugins --config=" + ini);
    EXPECT_EQ(result.status, kConfigFailure);
    EXPECT_EQ(result.err,
              "visiongw: plugin " + fixture_library("other_abi", "future") +
                  ": built for SDK ABI version " + std::to_string(VISIONGW_SDK_ABI_VERSION + 1) +
                  ", this gateway has version " + std::to_string(VISIONGW_SDK_ABI_VERSION) + "\n");
}

// A listening socket bound like Poco binds by default (SO_REUSEPORT): a gateway that also set
// it would share the port; one that does not fails to listen, after its plugins were loaded.
class TakenPort {
public:
    TakenPort() {
        socket_.bind(Poco::Net::SocketAddress("127.0.0.1", 0), true, true);
        socket_.listen();
    }
    std::string port() const { return std::to_string(socket_.address().port()); }
    std::string listen_section() const { return "[gateway]\nlisten = 127.0.0.1:" + port() + "\n"; }

private:
    Poco::Net::ServerSocket socket_;
};

TEST_F(CliTest, TakenPortFailsStartUpInsteadOfSharingIt) {
    TakenPort taken;
    std::string ini = write_ini(taken.listen_section());
    GatewayRun result = run("--config=" + ini);
    EXPECT_EQ(result.status, kConfigFailure);
    std::vector<std::string> lines = lines_of(result.err);
    ASSERT_EQ(lines.size(), 1u) << result.err;
    EXPECT_TRUE(lines[0].starts_with("visiongw: cannot listen on 127.0.0.1:" + taken.port() + ": "))
        << lines[0];
}

TEST_F(CliTest, StartUpOpensOnlyThePluginsTheConfigurationNames) {
    // The stray library leaves a line in the marker file whenever it is loaded.
    std::string dir = copy_of_build_plugins(fixture_library("selection", "tripwire"));
    std::string marker = "VISIONGW_FIXTURE_LOAD_MARKER=" + scratch_.file("loads");
    TakenPort taken;
    // Start-up gets as far as listening, past loading and configuring every plugin.
    GatewayRun started =
        run("--config=" + write_ini_loading_from(dir, taken.listen_section()), marker);
    EXPECT_EQ(started.status, kConfigFailure);
    EXPECT_TRUE(started.err.starts_with("visiongw: cannot listen on")) << started.err;
    GatewayRun checked = run("--check-config --config=" + scratch_.file("visiongw.ini"), marker);
    EXPECT_EQ(checked.status, 0) << checked.err;
    EXPECT_EQ(scratch_.read("loads"), "");

    // Listing the folder does open it.
    GatewayRun listed = run("--list-plugins --config=" + scratch_.file("visiongw.ini"), marker);
    EXPECT_EQ(listed.status, 0) << listed.err;
    EXPECT_NE(listed.out.find("tripwire\tanalysis"), std::string::npos) << listed.out;
    EXPECT_EQ(scratch_.read("loads"), "loaded\n");
}

TEST_F(CliTest, StartUpRefusesAPluginFolderTheGroupCanWrite) {
    std::string dir = copy_of_build_plugins(fixture_library("good", "good"));
    std::filesystem::permissions(dir, std::filesystem::perms(0775));
    TakenPort taken;
    GatewayRun result = run("--config=" + write_ini_loading_from(dir, taken.listen_section()));
    EXPECT_EQ(result.status, kConfigFailure);
    EXPECT_EQ(result.err, "visiongw: plugin folder " + dir +
                              " is writable by group (mode 0775); plugins are loaded only from a "
                              "folder and files that no one but their owner can write (chmod "
                              "go-w)\n");
}

}  // namespace
}  // namespace visiongw::testing
