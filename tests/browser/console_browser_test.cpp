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

#include "gateway_support.h"
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

    // Images up to 100 kB: the page's 13 KiB leaf passes, its 150 kB file gets the 413.
    GatewayProcess open_gateway(
        std::map<std::string, std::string>{{"upload", "max_file_size = 100000\n"}});
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
    // A job whose result is not the builtin analyzer's: the page shows it as formatted JSON.
    HttpAnswer other = post_form(guarded.port(), kAnalyzePath, leaf_form(make_png(8, 8, 77)),
                                 {{"Authorization", std::string("Bearer ") + kApiKey}});
    ASSERT_EQ(other.status, 202) << other.body;
    const std::string other_job = parse_object(other.body)->getValue<std::string>("job_id");
    publish_worker_event(guarded, R"({"schema_version":1,"job_id":")" + other_job +
                                      R"(","event":"completed","result":{"labels":["aphid"],)"
                                      R"("confidence":0.91}})");

    const std::string shots = build_dir() + "/browser-screenshots";
    const std::string command = "OPEN_URL=" + url_of(open_gateway) +
                                " AUTH_URL=" + url_of(guarded) + " API_KEY=" + kApiKey +
                                " OTHER_RESULT_JOB=" + other_job + " SHOTS_DIR=" + shots +
                                " node " + script.string() + " 2>&1";
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
