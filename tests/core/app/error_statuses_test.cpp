// The one table from job errors to HTTP answers: each kind's status, and Retry-After only where
// the same request may succeed later.
#include "app/error_statuses.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace visiongw::core {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

TEST(ErrorStatuses, EveryKindAnswersItsStatus) {
    const std::pair<JobErrorKind, int> statuses[] = {
        {JobErrorKind::invalid, 400},      {JobErrorKind::not_found, 404},
        {JobErrorKind::conflict, 409},     {JobErrorKind::in_progress, 409},
        {JobErrorKind::too_large, 413},    {JobErrorKind::unsupported_media, 415},
        {JobErrorKind::rejected, 422},     {JobErrorKind::unavailable, 503},
        {JobErrorKind::storage_full, 507}, {JobErrorKind::unsupported, 501},
    };
    for (const auto& [kind, status] : statuses)
        EXPECT_EQ(http_status_of(kind), status) << static_cast<int>(kind);
}

TEST(ErrorStatuses, AnswerKeepsTheCodeAndMessage) {
    HttpError answer =
        http_error_of(JobError(JobErrorKind::conflict, "job_finished", "job 1 already completed"));
    EXPECT_EQ(answer.status, 409);
    EXPECT_EQ(answer.code, "job_finished");
    EXPECT_STREQ(answer.what(), "job 1 already completed");
    EXPECT_EQ(answer.headers, Headers{});
}

TEST(ErrorStatuses, UnavailableTellsTheClientWhenToRetry) {
    HttpError answer = http_error_of(
        JobError(JobErrorKind::unavailable, "service_unavailable", "queue unavailable: down"));
    EXPECT_EQ(answer.status, 503);
    EXPECT_EQ(answer.code, "service_unavailable");
    EXPECT_EQ(answer.headers, (Headers{{"Retry-After", "5"}}));
}

TEST(ErrorStatuses, InProgressTellsTheClientToRetrySoon) {
    HttpError answer = http_error_of(
        JobError(JobErrorKind::in_progress, "idempotency_key_in_progress", "still in flight"));
    EXPECT_EQ(answer.status, 409);
    EXPECT_EQ(answer.headers, (Headers{{"Retry-After", "1"}}));
}

}  // namespace
}  // namespace visiongw::core
