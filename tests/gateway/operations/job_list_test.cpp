// GET /api/v1/vision/jobs: the caller's jobs newest first, pages that jobs submitted meanwhile
// never shift, filters, items with a result summary instead of the result, a tenant's own jobs
// only, and a 400 naming each bad query parameter.
#include <gtest/gtest.h>

#include <thread>

#include "operations_support.h"

namespace visiongw::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kJobsPath = "/api/v1/vision/jobs";

const ApiKey kTenantA{"vgw-test-key-list-tenant-a-51c9d2", "tenant-a", "client"};
const ApiKey kTenantB{"vgw-test-key-list-tenant-b-0e7f3a", "tenant-b", "client"};

// A form of `analysis_type` with a PNG whose bytes depend on `seed`.
MultipartBody form_of(const std::string& analysis_type, unsigned seed) {
    MultipartBody form;
    form.field("analysis_type", analysis_type)
        .file("image", "leaf.png", "image/png", make_png(8, 8, seed));
    return form;
}

struct ListedPage {
    std::vector<std::string> ids;
    std::vector<Poco::JSON::Object::Ptr> jobs;
    std::string next_cursor;  // empty on the last page
};

class JobListTest : public OperationsTest {
protected:
    ListedPage list(const std::string& query,
                    const std::map<std::string, std::string>& headers = {}) {
        HttpAnswer answer = get(std::string(kJobsPath) + query, headers);
        EXPECT_EQ(answer.status, 200) << query << ": " << answer.body;
        ListedPage page;
        if (answer.status != 200)
            return page;
        auto body = parse_object(answer.body);
        auto jobs = body->getArray("jobs");
        for (std::size_t i = 0; i < jobs->size(); ++i) {
            page.jobs.push_back(jobs->getObject(i));
            page.ids.push_back(jobs->getObject(i)->getValue<std::string>("job_id"));
        }
        if (!body->isNull("next_cursor"))
            page.next_cursor = body->getValue<std::string>("next_cursor");
        return page;
    }

    // Every job of `query` (which ends in a parameter, e.g. "?limit=5"), page by page.
    std::vector<std::string> list_all(const std::string& query,
                                      const std::map<std::string, std::string>& headers = {}) {
        std::vector<std::string> ids;
        ListedPage page = list(query, headers);
        for (int pages = 1;; ++pages) {
            ids.insert(ids.end(), page.ids.begin(), page.ids.end());
            if (page.next_cursor.empty() || pages > 100)
                return ids;
            page = list(query + "&cursor=" + page.next_cursor, headers);
        }
    }

    // Submits `count` jobs one after the other; returns their ids newest first.
    std::vector<std::string> submit_jobs(int count, unsigned first_seed,
                                         const std::map<std::string, std::string>& headers = {},
                                         const std::string& analysis_type = "pest") {
        std::vector<std::string> ids;
        for (int i = 0; i < count; ++i) {
            ids.insert(
                ids.begin(),
                submit_job(form_of(analysis_type, first_seed + static_cast<unsigned>(i)), headers));
        }
        return ids;
    }
};

TEST_F(JobListTest, PagesNewestFirstAndSubmitsMeanwhileNeverShiftAPage) {
    start_gateway();
    const auto older = submit_jobs(12, 100);
    ListedPage first = list("?limit=5");
    EXPECT_EQ(first.ids, std::vector<std::string>(older.begin(), older.begin() + 5));
    ASSERT_FALSE(first.next_cursor.empty());

    std::vector<std::string> newer;
    std::thread submitter([&] { newer = submit_jobs(8, 200); });
    std::vector<std::string> rest;
    ListedPage page = first;
    while (!page.next_cursor.empty()) {
        page = list("?limit=5&cursor=" + page.next_cursor);
        rest.insert(rest.end(), page.ids.begin(), page.ids.end());
        std::this_thread::sleep_for(20ms);  // let submits land between the pages
    }
    submitter.join();
    EXPECT_EQ(rest, std::vector<std::string>(older.begin() + 5, older.end()))
        << "no job twice, none missing, none of those submitted meanwhile";

    std::vector<std::string> everything = newer;
    everything.insert(everything.end(), older.begin(), older.end());
    EXPECT_EQ(list_all("?limit=7"), everything);
    EXPECT_EQ(list("").ids, everything) << "default limit 50";
}

TEST_F(JobListTest, FiltersAndItemsCarryTheResultSummaryInsteadOfTheResult) {
    start_gateway();
    const auto pests = submit_jobs(3, 300);
    const auto diseases = submit_jobs(2, 400, {}, "disease");
    publish_worker_event(gateway(), R"({"schema_version":1,"job_id":")" + pests[1] +
                                        R"(","event":"completed","result":{"summary":"little )"
                                        R"(discolouration","lesion_score":0.04}})");
    report_completed(gateway(), diseases[0]);
    ASSERT_TRUE(eventually([&] { return list("?status=completed").ids.size() == 2; }, 10s));

    EXPECT_EQ(list("?status=completed").ids, (std::vector<std::string>{diseases[0], pests[1]}));
    EXPECT_EQ(list("?status=queued&analysis_type=pest").ids,
              (std::vector<std::string>{pests[0], pests[2]}));
    EXPECT_EQ(list("?analysis_type=disease").ids, diseases);
    EXPECT_EQ(list("?status=failed").ids, std::vector<std::string>{});

    ListedPage completed = list("?status=completed&analysis_type=pest");
    ASSERT_EQ(completed.jobs.size(), 1u);
    const auto& job = completed.jobs[0];
    EXPECT_FALSE(job->has("result")) << "the list never carries the full result";
    EXPECT_EQ(job->getValue<std::string>("result_summary"), "little discolouration");
    EXPECT_EQ(job->getValue<std::string>("status"), "completed");
    EXPECT_EQ(job->getObject("links")->getValue<std::string>("self"), job_path(pests[1]));
    EXPECT_TRUE(job->getObject("file") && job->getObject("parameters"));
    ListedPage without_summary = list("?status=completed&analysis_type=disease");
    ASSERT_EQ(without_summary.jobs.size(), 1u);
    EXPECT_TRUE(without_summary.jobs[0]->isNull("result_summary"));
}

TEST_F(JobListTest, EachTenantListsOnlyItsOwnJobs) {
    start_gateway({}, {kTenantA, kTenantB});
    const auto mine = submit_jobs(4, 500, kTenantA.bearer());
    const auto theirs = submit_jobs(3, 600, kTenantB.bearer());
    EXPECT_EQ(list_all("?limit=2", kTenantA.bearer()), mine);
    EXPECT_EQ(list_all("?limit=2", kTenantB.bearer()), theirs);
    // A cursor of another tenant's listing continues in the caller's own jobs only.
    ListedPage theirs_first = list("?limit=1", kTenantB.bearer());
    for (const auto& id :
         list("?limit=200&cursor=" + theirs_first.next_cursor, kTenantA.bearer()).ids)
        EXPECT_NE(std::find(mine.begin(), mine.end(), id), mine.end()) << id;
    expect_error(get(kJobsPath), 401, "unauthorized");
}

TEST_F(JobListTest, EachBadQueryParameterIsA400NamingIt) {
    start_gateway();
    submit_jobs(1, 700);
    struct Case {
        std::string query, code, mentions;
    };
    for (const Case& bad : {
             Case{"?cursor=not*base64", "invalid_cursor", "cursor"},
             Case{"?cursor=Z2FyYmFnZQ", "invalid_cursor", "cursor"},  // "garbage"
             Case{"?cursor=", "invalid_cursor", "cursor"},
             Case{"?limit=0", "invalid_field", "limit"},
             Case{"?limit=201", "invalid_field", "limit"},
             Case{"?limit=ten", "invalid_field", "limit"},
             Case{"?status=done", "invalid_field", "status"},
             Case{"?analysis_type=weeds", "unknown_analysis_type", "weeds"},
         }) {
        SCOPED_TRACE(bad.query);
        std::string message = expect_error(get(std::string(kJobsPath) + bad.query), 400, bad.code);
        EXPECT_NE(message.find(bad.mentions), std::string::npos) << message;
    }
    EXPECT_EQ(list("?limit=200").ids.size(), 1u);
}

}  // namespace
}  // namespace visiongw::testing
