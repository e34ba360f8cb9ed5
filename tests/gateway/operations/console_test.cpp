// The web console: the gateway serves its files at / and /console/{file} without a key (the page
// asks for one), only files of its folder, nothing from another origin, and no console when
// [gateway] console_dir is empty.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "operations_support.h"

namespace visiongw::testing {
namespace {

class ConsoleTest : public OperationsTest {};

// The values of the page's src="..." and href="..." attributes, without #fragment-only ones.
std::vector<std::string> references_of(const std::string& page) {
    std::vector<std::string> references;
    for (const std::string attribute : {" src=\"", " href=\""}) {
        for (std::size_t at = page.find(attribute); at != std::string::npos;
             at = page.find(attribute, at + 1)) {
            const std::size_t value = at + attribute.size();
            const std::string reference = page.substr(value, page.find('"', value) - value);
            if (!reference.empty() && reference[0] != '#')
                references.push_back(reference);
        }
    }
    return references;
}

TEST_F(ConsoleTest, ServesThePageAndEachFileItNamesWithoutAKey) {
    start_gateway({}, {{"vgw-test-key-console-4f1e2b", "tenant-a", "client"}});
    HttpAnswer page = get("/");
    ASSERT_EQ(page.status, 200) << page.body;
    EXPECT_EQ(page.header("content-type"), "text/html; charset=utf-8");
    EXPECT_NE(page.header("content-security-policy").find("default-src 'self'"), std::string::npos);
    EXPECT_EQ(page.header("x-content-type-options"), "nosniff");
    EXPECT_NE(page.body.find("<title>Vision Gateway console</title>"), std::string::npos);

    int files = 0;
    for (const std::string& path : references_of(page.body)) {
        SCOPED_TRACE(path);
        ASSERT_EQ(path.rfind("/console/", 0), 0u) << "the page loads only the gateway's own files";
        HttpAnswer file = get(path);
        EXPECT_EQ(file.status, 200);
        EXPECT_EQ(file.body.find("http://"), std::string::npos) << "no resource of another origin";
        EXPECT_EQ(file.body.find("https://"), std::string::npos) << "no resource of another origin";
        ++files;
    }
    EXPECT_EQ(files, 2) << "console.css and console.js";
    EXPECT_EQ(get("/console/console.js").header("content-type"), "text/javascript; charset=utf-8");
    EXPECT_EQ(get("/console/console.css").header("content-type"), "text/css; charset=utf-8");
    expect_error(get("/api/v1/vision/jobs"), 401, "unauthorized");
}

TEST_F(ConsoleTest, OnlyFilesOfItsFolderAreServed) {
    start_gateway();
    std::string message = expect_error(get("/console/missing.js"), 404, "not_found");
    EXPECT_NE(message.find("no console file missing.js"), std::string::npos) << message;
    for (const char* path :
         {"/console/..%2F..%2Fetc%2Fpasswd", "/console/%2E%2E", "/console/index.html.bak"}) {
        SCOPED_TRACE(path);
        expect_error(get(path), 404, "not_found");
    }
    expect_error(get("/console/"), 404, "not_found");
}

TEST_F(ConsoleTest, AnEmptyConsoleDirTurnsTheConsoleOff) {
    start_gateway({{"gateway", "console_dir =\n"}});
    std::string message = expect_error(get("/"), 404, "not_found");
    EXPECT_NE(message.find("console_dir"), std::string::npos) << message;
    EXPECT_EQ(get("/health").status, 200);
}

}  // namespace
}  // namespace visiongw::testing
