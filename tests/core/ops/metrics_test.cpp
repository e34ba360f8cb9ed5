#include "ops/metrics.h"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace visiongw::core {
namespace {

// What a strict reading of a text exposition (format 0.0.4) found.
struct Exposition {
    std::map<std::string, std::string> types;
    std::map<std::string, std::string> helps;
    std::map<std::pair<std::string, MetricLabels>, double> samples;

    double value(const std::string& name, const MetricLabels& labels = {}) const {
        auto it = samples.find({name, labels});
        if (it == samples.end()) {
            ADD_FAILURE() << "no sample " << name;
            return std::numeric_limits<double>::quiet_NaN();
        }
        return it->second;
    }
    bool has(const std::string& name, const MetricLabels& labels = {}) const {
        return samples.count({name, labels}) != 0;
    }
};

bool parse_value(std::string_view text, double& value) {
    std::string lower;
    for (char c : text) {
        lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (lower == "nan") {
        value = std::numeric_limits<double>::quiet_NaN();
        return true;
    }
    if (lower == "+inf" || lower == "-inf") {
        value = lower[0] == '-' ? -INFINITY : INFINITY;
        return true;
    }
    if (text.empty() || text.find_first_not_of("0123456789.eE+-") != std::string_view::npos) {
        return false;
    }
    char* end = nullptr;
    value = std::strtod(lower.c_str(), &end);
    return end == lower.c_str() + lower.size();
}

// An optional sample timestamp: integer milliseconds.
bool parse_timestamp(std::string_view text) {
    const std::string_view digits = text.starts_with('-') ? text.substr(1) : text;
    return !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos;
}

// A cursor over one exposition line: each read consumes what it accepts.
class LineReader {
public:
    explicit LineReader(std::string_view line) : rest_(line) {}

    bool at_end() const { return rest_.empty(); }
    std::string_view rest() const { return rest_; }

    bool skip(std::string_view text) {
        if (!rest_.starts_with(text)) {
            return false;
        }
        rest_.remove_prefix(text.size());
        return true;
    }

    // A metric name [a-zA-Z_:][a-zA-Z0-9_:]*, or a label name (no ':').
    bool read_name(std::string& name, bool metric) {
        const auto allowed = [metric](char c, bool first) {
            return std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
                   (metric && c == ':') || (!first && std::isdigit(static_cast<unsigned char>(c)));
        };
        name.clear();
        while (!rest_.empty() && allowed(rest_.front(), name.empty())) {
            name += rest_.front();
            rest_.remove_prefix(1);
        }
        return !name.empty();
    }

    // Text up to an unescaped `terminator` (or the end), where a backslash may only precede
    // one of `escapes`; unescapes `\n` to a newline.
    bool read_escaped(std::string& text, std::string_view escapes, char terminator) {
        text.clear();
        while (!rest_.empty() && rest_.front() != terminator) {
            char c = rest_.front();
            rest_.remove_prefix(1);
            if (c == '\\') {
                if (rest_.empty() || escapes.find(rest_.front()) == std::string_view::npos) {
                    return false;
                }
                c = rest_.front() == 'n' ? '\n' : rest_.front();
                rest_.remove_prefix(1);
            }
            text += c;
        }
        return true;
    }

    std::string_view read_word() {
        const std::string_view word = rest_.substr(0, rest_.find(' '));
        rest_.remove_prefix(word.size());
        return word;
    }

private:
    std::string_view rest_;
};

// Reads `{name="value",…}` strictly if the reader is at a '{'; false on any deviation.
bool read_labels(LineReader& reader, MetricLabels& labels) {
    if (!reader.skip("{")) {
        return true;
    }
    while (!reader.skip("}")) {
        std::string name;
        std::string value;
        if (!reader.read_name(name, false) || !reader.skip("=\"") ||
            !reader.read_escaped(value, "\\\"n", '"') || !reader.skip("\"") ||
            !labels.emplace(name, value).second) {
            return false;
        }
        if (!reader.skip(",") && !reader.rest().starts_with("}")) {
            return false;
        }
    }
    return true;
}

// The family a sample line belongs to: its own name, or a histogram's name for its series.
std::string family_of(const std::string& name, const Exposition& exposition) {
    if (exposition.types.count(name) != 0) {
        return name;
    }
    for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
        if (name.size() > suffix.size() && name.ends_with(suffix)) {
            std::string base = name.substr(0, name.size() - suffix.size());
            auto it = exposition.types.find(base);
            if (it != exposition.types.end() && it->second == "histogram") {
                return base;
            }
        }
    }
    return {};
}

// Checks each histogram's series: buckets cumulative, +Inf equal to _count, _sum present.
void check_histograms(const Exposition& exposition) {
    for (const auto& [family, type] : exposition.types) {
        if (type != "histogram") {
            continue;
        }
        std::map<MetricLabels, std::map<double, double>> buckets;
        for (const auto& [key, value] : exposition.samples) {
            if (key.first == family + "_bucket") {
                MetricLabels series = key.second;
                double le = 0;
                EXPECT_TRUE(series.count("le") && parse_value(series["le"], le)) << family;
                series.erase("le");
                buckets[series][le] = value;
            }
        }
        for (const auto& [series, by_bound] : buckets) {
            double previous = 0;
            for (const auto& [bound, count] : by_bound) {
                EXPECT_GE(count, previous) << family << " buckets must be cumulative";
                previous = count;
            }
            if (by_bound.count(INFINITY) == 0) {
                ADD_FAILURE() << family << " lacks le=\"+Inf\"";
                continue;
            }
            EXPECT_EQ(by_bound.at(INFINITY), exposition.value(family + "_count", series));
            EXPECT_TRUE(exposition.has(family + "_sum", series)) << family;
        }
    }
}

// Parses every line of `text` strictly, failing the test on each deviation.
Exposition parse_exposition(const std::string& text) {
    static const std::set<std::string_view> kTypes = {"counter", "gauge", "histogram", "summary",
                                                      "untyped"};
    Exposition exposition;
    std::set<std::string> closed;
    std::string current;
    EXPECT_TRUE(text.empty() || text.back() == '\n') << "exposition must end with a newline";
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        LineReader reader(line);
        std::string family;
        if (reader.skip("# HELP ")) {
            std::string help;
            const bool good = reader.read_name(family, true) && reader.skip(" ") &&
                              reader.read_escaped(help, "\\n", '\0') && reader.at_end();
            EXPECT_TRUE(good) << "not an exposition line: \"" << line << "\"";
            EXPECT_TRUE(exposition.helps.emplace(family, help).second) << "second HELP: " << line;
        } else if (reader.skip("# TYPE ")) {
            const bool good = reader.read_name(family, true) && reader.skip(" ") &&
                              kTypes.count(reader.rest()) != 0;
            EXPECT_TRUE(good) << "not an exposition line: \"" << line << "\"";
            EXPECT_TRUE(exposition.types.emplace(family, reader.rest()).second)
                << "second TYPE: " << line;
        } else {
            std::string name;
            MetricLabels labels;
            double value = 0;
            const char* problem = nullptr;
            if (!reader.read_name(name, true)) {
                problem = "not an exposition line";
            } else if (!read_labels(reader, labels)) {
                problem = "bad labels";
            } else if (!reader.skip(" ") || !parse_value(reader.read_word(), value)) {
                problem = "bad value";
            } else if (reader.skip(" ") && !parse_timestamp(reader.read_word())) {
                problem = "bad timestamp";
            } else if (!reader.at_end()) {
                problem = "trailing text";
            }
            if (problem != nullptr) {
                ADD_FAILURE() << problem << ": \"" << line << "\"";
                continue;
            }
            family = family_of(name, exposition);
            EXPECT_FALSE(family.empty()) << "sample before its TYPE: " << line;
            EXPECT_TRUE(exposition.samples.emplace(std::pair{name, labels}, value).second)
                << "repeated sample: " << line;
        }
        if (family != current) {
            EXPECT_FALSE(closed.count(family)) << "family " << family << " is split: " << line;
            closed.insert(current);
            current = family;
        }
    }
    check_histograms(exposition);
    return exposition;
}

TEST(MetricsTest, TheStrictParserRejectsBadExpositions) {
    const std::string type = "# TYPE a_total counter\n";
    EXPECT_NONFATAL_FAILURE(parse_exposition(type + "a_total{x=\"bad \\q\"} 1\n"), "bad labels");
    EXPECT_NONFATAL_FAILURE(parse_exposition(type + "a_total{x=y} 1\n"), "bad labels");
    EXPECT_NONFATAL_FAILURE(parse_exposition(type + "a_total 1.2.3\n"), "bad value");
    EXPECT_NONFATAL_FAILURE(parse_exposition(type + "a_total 1\na_total 2\n"), "repeated");
    EXPECT_NONFATAL_FAILURE(parse_exposition("b_total 1\n"), "before its TYPE");
    EXPECT_NONFATAL_FAILURE(parse_exposition(type + "# HELP a_total x\\y\n"), "not an exposition");
    EXPECT_NONFATAL_FAILURE(parse_exposition(type + "a_total 1"), "end with a newline");
    EXPECT_NONFATAL_FAILURE(
        parse_exposition(type + "a_total{x=\"1\"} 1\n# TYPE g gauge\ng 1\na_total{x=\"2\"} 1\n"),
        "is split");
    EXPECT_NONFATAL_FAILURE(parse_exposition("# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
                                             "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"),
                            "cumulative");
    EXPECT_NONFATAL_FAILURE(
        parse_exposition("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n"), "+Inf");
}

TEST(MetricsTest, EveryRenderedLineParses) {
    MetricsRegistry metrics;
    auto requests = metrics.counter_family("visiongw_http_requests_total",
                                           "HTTP requests by route, method and status");
    requests.with({{"route", "/api/v1/vision/analyze"}, {"method", "POST"}, {"status", "202"}})
        .increment();
    requests.with({{"route", "odd \"route\"\\\nline"}, {"method", "GET"}, {"status", "404"}})
        .increment(2);
    metrics.gauge("visiongw_jobs_queued", "Help with a backslash \\ and\na newline").set(-1.5);
    auto latency = metrics.histogram_family("visiongw_http_request_duration_seconds",
                                            "Request latency", {0.01, 0.1, 1});
    latency.with({{"route", "/health"}}).observe(0.05);
    metrics.add_collector([] {
        return std::vector<Sample>{
            {"visiongw_storage_free_bytes", "Free space", "gauge", {{"backend", "local"}}, 1e12}};
    });

    const std::string text = metrics.render();
    const Exposition exposition = parse_exposition(text);

    EXPECT_EQ(exposition.types.at("visiongw_http_requests_total"), "counter");
    EXPECT_EQ(exposition.value(
                  "visiongw_http_requests_total",
                  {{"route", "/api/v1/vision/analyze"}, {"method", "POST"}, {"status", "202"}}),
              1);
    EXPECT_EQ(exposition.value(
                  "visiongw_http_requests_total",
                  {{"route", "odd \"route\"\\\nline"}, {"method", "GET"}, {"status", "404"}}),
              2);
    EXPECT_EQ(exposition.helps.at("visiongw_jobs_queued"),
              "Help with a backslash \\ and\na newline");
    EXPECT_EQ(exposition.value("visiongw_jobs_queued"), -1.5);
    EXPECT_EQ(exposition.types.at("visiongw_http_request_duration_seconds"), "histogram");
    EXPECT_EQ(exposition.value("visiongw_storage_free_bytes", {{"backend", "local"}}), 1e12);
    EXPECT_EQ(exposition.value("visiongw_metrics_collector_errors_total"), 0);
}

TEST(MetricsTest, CountersAndHistogramsMove) {
    MetricsRegistry metrics;
    const Counter uploaded = metrics.counter("visiongw_upload_bytes_total", "Bytes uploaded");
    const Histogram sizes =
        metrics.histogram_family("visiongw_upload_size_bytes", "Upload sizes", {100, 1000})
            .with({});
    uploaded.increment(150);
    uploaded.increment(2000);
    sizes.observe(150);
    sizes.observe(2000);
    sizes.observe(100);

    const Exposition exposition = parse_exposition(metrics.render());

    EXPECT_EQ(exposition.value("visiongw_upload_bytes_total"), 2150);
    EXPECT_EQ(exposition.value("visiongw_upload_size_bytes_bucket", {{"le", "100"}}), 1);
    EXPECT_EQ(exposition.value("visiongw_upload_size_bytes_bucket", {{"le", "1000"}}), 2);
    EXPECT_EQ(exposition.value("visiongw_upload_size_bytes_bucket", {{"le", "+Inf"}}), 3);
    EXPECT_EQ(exposition.value("visiongw_upload_size_bytes_sum"), 2250);
    EXPECT_EQ(exposition.value("visiongw_upload_size_bytes_count"), 3);
}

TEST(MetricsTest, ConcurrentUpdatesAddUpExactly) {
    constexpr int kThreads = 8;
    constexpr int kIncrements = 50000;
    MetricsRegistry metrics;
    const Counter handle = metrics.counter("visiongw_handle_total", "Through one handle");
    auto family = metrics.counter_family("visiongw_lookup_total", "Through labelled lookups");
    const Histogram latency =
        metrics.histogram_family("visiongw_latency_seconds", "Latency", {0.5}).with({});
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kIncrements; ++i) {
                handle.increment();
                family.with({{"thread", std::to_string(t % 2)}}).increment();
                latency.observe(i % 2 == 0 ? 0.25 : 1.0);
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }

    const Exposition exposition = parse_exposition(metrics.render());

    EXPECT_EQ(exposition.value("visiongw_handle_total"), kThreads * kIncrements);
    EXPECT_EQ(exposition.value("visiongw_lookup_total", {{"thread", "0"}}),
              kThreads / 2 * kIncrements);
    EXPECT_EQ(exposition.value("visiongw_lookup_total", {{"thread", "1"}}),
              kThreads / 2 * kIncrements);
    EXPECT_EQ(exposition.value("visiongw_latency_seconds_count"), kThreads * kIncrements);
    EXPECT_EQ(exposition.value("visiongw_latency_seconds_bucket", {{"le", "0.5"}}),
              kThreads * kIncrements / 2);
}

TEST(MetricsTest, CollectorSamplesMergeAndBadOnesAreCounted) {
    MetricsRegistry metrics;
    metrics.counter("visiongw_http_requests_total", "Requests");
    metrics.add_collector([] {
        return std::vector<Sample>{
            {"visiongw_plugin_up", "Plugin health", "gauge", {{"plugin", "redis"}}, 1},
            {"bad name", "", "gauge", {}, 1},
            {"visiongw_plugin_odd", "", "summary", {}, 1},
            {"visiongw_plugin_label", "", "gauge", {{"bad-label", "x"}}, 1},
            {"visiongw_http_requests_total", "Taken", "counter", {}, 5}};
    });
    metrics.add_collector([] {
        return std::vector<Sample>{
            {"visiongw_plugin_up", "Plugin health", "gauge", {{"plugin", "rabbitmq"}}, 0},
            {"visiongw_plugin_up", "Plugin health", "gauge", {{"plugin", "rabbitmq"}}, 1},
            {"visiongw_plugin_up", "Plugin health", "counter", {{"plugin", "x"}}, 1},
            {"visiongw_rabbitmq_reconnects_total", "Reconnects", "counter", {}, 3}};
    });
    metrics.add_collector([]() -> std::vector<Sample> { throw std::runtime_error("down"); });

    const Exposition exposition = parse_exposition(metrics.render());

    EXPECT_EQ(exposition.value("visiongw_plugin_up", {{"plugin", "redis"}}), 1);
    EXPECT_EQ(exposition.value("visiongw_plugin_up", {{"plugin", "rabbitmq"}}), 0);
    EXPECT_EQ(exposition.types.at("visiongw_rabbitmq_reconnects_total"), "counter");
    EXPECT_EQ(exposition.value("visiongw_rabbitmq_reconnects_total"), 3);
    EXPECT_EQ(exposition.value("visiongw_http_requests_total"), 0);
    EXPECT_FALSE(exposition.types.count("visiongw_plugin_odd"));
    EXPECT_FALSE(exposition.types.count("visiongw_plugin_label"));
    EXPECT_EQ(exposition.value("visiongw_metrics_collector_errors_total"), 7);
}

TEST(MetricsTest, FamiliesAreMadeOnceAndCheckedWhenMade) {
    MetricsRegistry metrics;
    metrics.counter("visiongw_jobs_total", "Jobs").increment();
    metrics.counter("visiongw_jobs_total", "Jobs").increment();
    EXPECT_EQ(metrics.counter("visiongw_jobs_total", "Jobs").value(), 2);

    EXPECT_THROW(metrics.gauge("visiongw_jobs_total", "Jobs"), std::invalid_argument);
    EXPECT_THROW(metrics.counter("1st_metric", "x"), std::invalid_argument);
    EXPECT_THROW(metrics.counter_family("visiongw_jobs_total", "Jobs").with({{"bad-label", "x"}}),
                 std::invalid_argument);
    EXPECT_THROW(metrics.histogram_family("visiongw_a_seconds", "x", {}), std::invalid_argument);
    EXPECT_THROW(metrics.histogram_family("visiongw_a_seconds", "x", {1, 1}),
                 std::invalid_argument);
    EXPECT_THROW(metrics.histogram_family("visiongw_a_seconds", "x", {1, INFINITY}),
                 std::invalid_argument);
    metrics.histogram_family("visiongw_b_seconds", "x", {1, 2});
    EXPECT_NO_THROW(metrics.histogram_family("visiongw_b_seconds", "x", {1, 2}));
    EXPECT_THROW(metrics.histogram_family("visiongw_b_seconds", "x", {1, 3}),
                 std::invalid_argument);
}

TEST(MetricsTest, ExponentialBuckets) {
    EXPECT_EQ(exponential_buckets(1024, 4, 4), (std::vector<double>{1024, 4096, 16384, 65536}));
    EXPECT_THROW(exponential_buckets(0, 2, 3), std::invalid_argument);
    EXPECT_THROW(exponential_buckets(1, 1, 3), std::invalid_argument);
    EXPECT_THROW(exponential_buckets(1, 2, 0), std::invalid_argument);
}

}  // namespace
}  // namespace visiongw::core
