#include "jobs/random_uuid.h"

#include <gtest/gtest.h>

#include <set>

#include "uuid_check.h"

namespace visiongw::core {
namespace {

TEST(RandomUuid, IsAVersion4UuidWithTheRfc4122Variant) {
    for (int i = 0; i < 200; ++i) {
        const std::string id = random_uuid();
        EXPECT_TRUE(testing::is_uuid(id)) << id;
        EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
    }
}

TEST(RandomUuid, NeverRepeatsAndUsesEveryRandomDigit) {
    std::set<std::string> seen;
    std::set<char> digits;
    for (int i = 0; i < 10000; ++i) {
        const std::string id = random_uuid();
        EXPECT_TRUE(seen.insert(id).second) << "repeated " << id;
        digits.insert(id.begin(), id.begin() + 8);
    }
    EXPECT_EQ(digits.size(), 16u);  // all of 0-9a-f appear in the leading random digits
}

}  // namespace
}  // namespace visiongw::core
