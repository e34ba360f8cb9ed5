// W3C Trace Context: the valid and invalid `traceparent` and `tracestate` values of the spec's
// own test suite (w3c/trace-context, test/test.py) read as the spec says, and a trace continued
// or started as the processing model says.
#include "visiongw/protocol/trace_context.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace visiongw::protocol {
namespace {

const std::string kTraceId = "12345678901234567890123456789012";
const std::string kCallerSpan = "1234567890123456";
const std::string kValid = "00-12345678901234567890123456789012-1234567890123456-01";

std::optional<std::string> tracestate_of(std::vector<std::string> values) {
    return parse_tracestate(values);
}

TEST(Traceparent, ReadsTheSpecsExample) {
    auto parent = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    ASSERT_TRUE(parent);
    EXPECT_EQ(parent->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_EQ(parent->span_id, "00f067aa0ba902b7");
    EXPECT_EQ(parent->flags, "01");
    EXPECT_EQ(parent->header(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
}

TEST(Traceparent, AcceptsSpacesAndTabsAround) {
    for (const std::string& value :
         {" " + kValid, "\t" + kValid, kValid + " ", kValid + "\t", "\t " + kValid + " \t"}) {
        auto parent = parse_traceparent(value);
        ASSERT_TRUE(parent) << value;
        EXPECT_EQ(parent->trace_id, kTraceId);
    }
}

TEST(Traceparent, AcceptsALaterVersionAndWhatItAdds) {
    for (const char* value :
         {"cc-12345678901234567890123456789012-1234567890123456-01",
          "cc-12345678901234567890123456789012-1234567890123456-01-what-the-future-will-be-like"}) {
        auto parent = parse_traceparent(value);
        ASSERT_TRUE(parent) << value;
        EXPECT_EQ(parent->trace_id, kTraceId);
        EXPECT_EQ(parent->header(), kValid) << "written as version 00";
    }
}

TEST(Traceparent, RefusesEveryInvalidExampleOfTheSpec) {
    const std::vector<std::string> invalid = {
        // version 00 with more after it
        "00-12345678901234567890123456789012-1234567890123456-01.",
        "00-12345678901234567890123456789012-1234567890123456-01-what-the-future-will-be-like",
        // a later version whose addition does not start with '-'
        "cc-12345678901234567890123456789012-1234567890123456-01.what-the-future-will-be-like",
        // version ff, bad characters, too long, too short
        "ff-12345678901234567890123456789012-1234567890123456-01",
        ".0-12345678901234567890123456789012-1234567890123456-01",
        "0.-12345678901234567890123456789012-1234567890123456-01",
        "000-12345678901234567890123456789012-1234567890123456-01",
        "0000-12345678901234567890123456789012-1234567890123456-01",
        "0-12345678901234567890123456789012-1234567890123456-01",
        // trace id all zero, bad characters, too long, too short
        "00-00000000000000000000000000000000-1234567890123456-01",
        "00-.2345678901234567890123456789012-1234567890123456-01",
        "00-1234567890123456789012345678901.-1234567890123456-01",
        "00-123456789012345678901234567890123-1234567890123456-01",
        "00-1234567890123456789012345678901-1234567890123456-01",
        // parent id all zero, bad characters, too long, too short
        "00-12345678901234567890123456789012-0000000000000000-01",
        "00-12345678901234567890123456789012-.234567890123456-01",
        "00-12345678901234567890123456789012-123456789012345.-01",
        "00-12345678901234567890123456789012-12345678901234567-01",
        "00-12345678901234567890123456789012-123456789012345-01",
        // flags: bad characters, too long, too short
        "00-12345678901234567890123456789012-1234567890123456-.0",
        "00-12345678901234567890123456789012-1234567890123456-0.",
        "00-12345678901234567890123456789012-1234567890123456-001",
        "00-12345678901234567890123456789012-1234567890123456-1",
        // uppercase hex, other separators, nothing
        "00-12345678901234567890123456789ABC-1234567890123456-01",
        "00_12345678901234567890123456789012_1234567890123456_01",
        "",
        "   ",
    };
    for (const std::string& value : invalid)
        EXPECT_FALSE(parse_traceparent(value)) << value;
}

TEST(Tracestate, JoinsSeveralHeadersInOrder) {
    EXPECT_EQ(tracestate_of({"foo=1,bar=2", "rojo=1,congo=2", "baz=3"}),
              "foo=1,bar=2,rojo=1,congo=2,baz=3");
}

TEST(Tracestate, DropsEmptyMembersAndSpacesAroundMembers) {
    EXPECT_EQ(tracestate_of({""}), "");
    EXPECT_EQ(tracestate_of({"foo=1", ""}), "foo=1");
    EXPECT_EQ(tracestate_of({"", "foo=1"}), "foo=1");
    EXPECT_EQ(tracestate_of({"foo=1 \t , \t bar=2, \t baz=3"}), "foo=1,bar=2,baz=3");
    EXPECT_EQ(tracestate_of({"foo=1\t \t,\t \tbar=2,\t \tbaz=3"}), "foo=1,bar=2,baz=3");
    for (const char* value : {" foo=1", "\tfoo=1", "foo=1 ", "foo=1\t", "\t foo=1 \t"})
        EXPECT_EQ(tracestate_of({value}), "foo=1") << value;
}

TEST(Tracestate, AcceptsEveryAllowedCharacter) {
    std::string key = "abcdefghijklmnopqrstuvwxyz0123456789_-*/";
    std::string value;
    for (char c = 0x20; c <= 0x7E; ++c) {
        if (c != ',' && c != '=')
            value += c;
    }
    EXPECT_EQ(tracestate_of({key + "=" + value}), key + "=" + value);
    EXPECT_EQ(tracestate_of({key + "@a-z0-9_-*/=" + value}), key + "@a-z0-9_-*/=" + value);
}

TEST(Tracestate, Holds32MembersAndNotOneMore) {
    std::vector<std::string> values;
    std::string list;
    for (int i = 1; i <= 32; ++i)
        list += (i > 1 ? "," : "") + std::string("bar") + std::to_string(i) + "=1";
    values.push_back(list);
    EXPECT_EQ(tracestate_of(values), list);
    values.push_back("bar33=1");
    EXPECT_FALSE(tracestate_of(values));
}

TEST(Tracestate, KeyLengthsAtAndOverTheLimits) {
    EXPECT_TRUE(tracestate_of({"foo=1", std::string(256, 'z') + "=1"}));
    EXPECT_FALSE(tracestate_of({"foo=1", std::string(257, 'z') + "=1"}));
    EXPECT_TRUE(
        tracestate_of({"foo=1", std::string(241, 't') + "@" + std::string(14, 'v') + "=1"}));
    EXPECT_FALSE(tracestate_of({"foo=1", std::string(242, 't') + "@v=1"}));
    EXPECT_FALSE(tracestate_of({"foo=1", "t@" + std::string(15, 'v') + "=1"}));
}

TEST(Tracestate, RefusesEveryInvalidExampleOfTheSpec) {
    const std::vector<std::vector<std::string>> invalid = {
        {"foo=1,foo=1"},
        {"foo=1,foo=2"},
        {"foo=1", "foo=1"},
        {"foo=1", "foo=2"},
        {"foo =1"},
        {"FOO=1"},
        {"foo.bar=1"},
        {"foo@=1,bar=2"},
        {"@foo=1,bar=2"},
        {"foo@@bar=1,bar=2"},
        {"foo@bar@baz=1,bar=2"},
        {"foo=bar=baz"},
        {"foo=,bar=3"},
        {"foo"},
        {"foo=1,bar=\x01"},
        {"foo=" + std::string(257, 'x')},
    };
    for (const auto& values : invalid)
        EXPECT_FALSE(tracestate_of(values)) << values.front();
}

TEST(ContinueTrace, KeepsTheCallersTraceWithANewSpan) {
    const std::vector<std::string> parent = {kValid};
    const std::vector<std::string> state = {"foo=1,bar=2"};
    TraceContext trace = continue_trace(parent, state);
    EXPECT_EQ(trace.span.trace_id, kTraceId);
    EXPECT_EQ(trace.parent_span_id, kCallerSpan);
    EXPECT_NE(trace.span.span_id, kCallerSpan);
    EXPECT_TRUE(parse_traceparent(trace.traceparent()));
    EXPECT_EQ(trace.span.flags, "01");
    EXPECT_EQ(trace.tracestate, "foo=1,bar=2");
}

TEST(ContinueTrace, KeepsTheCallersFlagsAndDropsAnInvalidTracestate) {
    TraceContext trace =
        continue_trace("00-12345678901234567890123456789012-1234567890123456-00", "foo=1,foo=2");
    EXPECT_EQ(trace.span.trace_id, kTraceId);
    EXPECT_EQ(trace.span.flags, "00");
    EXPECT_EQ(trace.tracestate, "");
}

TEST(ContinueTrace, StartsANewTraceForNoneSeveralOrAnInvalidTraceparent) {
    const std::vector<std::string> state = {"foo=1"};
    const std::vector<std::vector<std::string>> cases = {
        {},
        {"00-12345678901234567890123456789011-1234567890123456-01", kValid},
        {"00-00000000000000000000000000000000-1234567890123456-01"},
        {"00-12345678901234567890123456789012-1234567890123456-01."},
    };
    for (const auto& parents : cases) {
        TraceContext trace = continue_trace(parents, state);
        EXPECT_NE(trace.span.trace_id, kTraceId);
        EXPECT_NE(trace.span.trace_id, "12345678901234567890123456789011");
        EXPECT_TRUE(parse_traceparent(trace.traceparent())) << trace.traceparent();
        EXPECT_EQ(trace.parent_span_id, "");
        EXPECT_EQ(trace.tracestate, "") << "a tracestate without a valid traceparent is dropped";
    }
}

TEST(ContinueTrace, EverySpanIsNew) {
    std::set<std::string> spans;
    std::set<std::string> traces;
    for (int i = 0; i < 100; ++i) {
        TraceContext trace = continue_trace("", "");
        spans.insert(trace.span.span_id);
        traces.insert(trace.span.trace_id);
    }
    EXPECT_EQ(spans.size(), 100u);
    EXPECT_EQ(traces.size(), 100u);
}

}  // namespace
}  // namespace visiongw::protocol
