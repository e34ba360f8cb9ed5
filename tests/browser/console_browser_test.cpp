// The web console in a real browser: starts a gateway without API keys and with a reference
// worker, and one with API keys and no worker (its jobs stay queued), then runs
// console_test.mjs (Debian's chromium driven by puppeteer-core, one browser launch) against
// both. Its screenshots of the submit, result, operator and list views are kept in
// <build>/browser-screenshots for a person to look at.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "gateway_process.h"
#include "processes.h"
#include "worker_process.h"

namespace visiongw::testing {
namespace {

constexpr const char* kApiKey = "vgw-test-key-browser-7d3a91";

std::string url_of(const GatewayProcess& gateway) {
    return "http://127.0.0.1:" + std::to_string(gateway.port());
}

TEST(ConsoleInABrowser, SubmitFollowRejectCancelAuthListAndOperatorView) {
    const std::filesystem::path script = VISIONGW_BROWSER_TEST_DIR "/console_test.mjs";
    ASSERT_TRUE(std::filesystem::exists(VISIONGW_BROWSER_TEST_DIR "/node_modules/puppeteer-core"))
        << "npm dependencies missing: scripts/test installs them (npm ci --prefix tests/browser)";
    ASSERT_TRUE(std::filesystem::exists("/usr/bin/chromium"))
        << "Debian's chromium is missing: scripts/test installs it";

    GatewayProcess open_gateway;
    open_gateway.start();
    const auto open_dir = std::filesystem::path(open_gateway.ini_path()).parent_path();
    WorkerProcess worker(open_gateway.ini_path(), (open_dir / "worker.log").string());

    GatewayProcess guarded(
        std::map<std::string, std::string>{{"auth", "enabled = true\nkeys_file = api_keys\n"}});
    {
        std::string hash = command_output(gateway_binary() + " --hash-key " + kApiKey);
        hash.erase(hash.find_last_not_of('\n') + 1);
        ASSERT_EQ(hash.size(), 64u) << hash;
        std::ofstream keys(std::filesystem::path(guarded.ini_path()).parent_path() / "api_keys");
        keys << hash << " farm-a client\n";
    }
    guarded.start();

    const std::string shots = build_dir() + "/browser-screenshots";
    const std::string command = "OPEN_URL=" + url_of(open_gateway) +
                                " AUTH_URL=" + url_of(guarded) + " API_KEY=" + kApiKey +
                                " SHOTS_DIR=" + shots + " node " + script.string() + " 2>&1";
    std::string output;
    FILE* run = ::popen(command.c_str(), "r");
    ASSERT_NE(run, nullptr);
    char buffer[4096];
    while (std::size_t n = std::fread(buffer, 1, sizeof buffer, run))
        output.append(buffer, n);
    const int status = ::pclose(run);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << output << "\n--- open gateway ---\n"
        << open_gateway.output() << "\n--- worker ---\n"
        << worker.output();
    std::cout << output;
    for (const char* shot : {"submit.png", "result.png", "operator.png", "list.png"})
        EXPECT_TRUE(std::filesystem::exists(shots + "/" + shot)) << shot;
}

}  // namespace
}  // namespace visiongw::testing
