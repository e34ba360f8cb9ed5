// The ini reader (core/config/ini_document.cpp).
#include <gtest/gtest.h>

#include "config/ini_document.h"
#include "core_testing.h"

namespace visiongw::testing {
namespace {

using core::IniDocument;

TEST(IniDocumentTest, RefusesAKeyOutsideAnySection) {
    EXPECT_EQ(startup_error_of([] { IniDocument::parse("orphan = 1\n[gateway]\n", "o.ini"); }),
              "o.ini: 'orphan' is a key outside any [section]; put it under one");
}

}  // namespace
}  // namespace visiongw::testing
