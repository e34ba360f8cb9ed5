#include "operations_support.h"

#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <stdexcept>

namespace visiongw::testing {
namespace {

const std::set<std::string> kMetricTypes{"counter", "gauge", "histogram", "summary", "untyped"};

bool is_name_char(char c, bool first, bool metric) {
    const bool letter =
        std::isalpha(static_cast<unsigned char>(c)) || c == '_' || (metric && c == ':');
    return letter || (!first && std::isdigit(static_cast<unsigned char>(c)));
}

// Reads one line of an exposition from left to right; every mismatch names the line.
class Cursor {
public:
    Cursor(std::string_view line, std::size_t number) : line_(line), number_(number) {}

    [[noreturn]] void fail(const std::string& why) const {
        throw std::runtime_error("line " + std::to_string(number_) + ": " + why + ": " +
                                 std::string(line_));
    }
    bool done() const { return at_ == line_.size(); }
    bool take(char c) {
        if (done() || line_[at_] != c)
            return false;
        ++at_;
        return true;
    }
    void expect(char c) {
        if (!take(c))
            fail(std::string("expected '") + c + "'");
    }
    // A metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) or a label name (the same without ':').
    std::string name(bool metric) {
        const std::size_t start = at_;
        while (!done() && is_name_char(line_[at_], at_ == start, metric))
            ++at_;
        if (at_ == start)
            fail(metric ? "expected a metric name" : "expected a label name");
        return std::string(line_.substr(start, at_ - start));
    }
    // Everything up to the next space or the end of the line.
    std::string word() {
        const std::size_t start = at_;
        while (!done() && line_[at_] != ' ')
            ++at_;
        return std::string(line_.substr(start, at_ - start));
    }
    // A double-quoted label value with the escapes \\, \" and \n.
    std::string quoted() {
        expect('"');
        std::string value;
        for (;;) {
            if (done())
                fail("unterminated label value");
            const char c = line_[at_++];
            if (c == '"')
                return value;
            if (c != '\\') {
                value += c;
                continue;
            }
            const char escaped = done() ? '\0' : line_[at_++];
            if (escaped != '\\' && escaped != '"' && escaped != 'n')
                fail("invalid escape in a label value");
            value += escaped == 'n' ? '\n' : escaped;
        }
    }
    void skip_rest() { at_ = line_.size(); }

private:
    std::string_view line_;
    std::size_t number_;
    std::size_t at_ = 0;
};

template <typename Number>
Number parse_number(const std::string& text, const Cursor& cursor) {
    Number value{};
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size()) {
        cursor.fail("not a number: '" + text + "'");
    }
    return value;
}

double parse_value(const std::string& text, const Cursor& cursor) {
    if (text == "+Inf")
        return std::numeric_limits<double>::infinity();
    if (text == "-Inf")
        return -std::numeric_limits<double>::infinity();
    if (text == "NaN")
        return std::numeric_limits<double>::quiet_NaN();
    return parse_number<double>(text, cursor);
}

// The family a sample belongs to: its own name, or a histogram's or summary's name for the
// `_bucket`, `_sum` and `_count` series. Empty when no TYPE line declared one.
std::string family_of(const std::string& name, const std::map<std::string, std::string>& types) {
    if (types.count(name))
        return name;
    for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
        if (name.size() <= suffix.size() || !name.ends_with(suffix))
            continue;
        auto it = types.find(name.substr(0, name.size() - suffix.size()));
        if (it != types.end() && (it->second == "histogram" || it->second == "summary"))
            return it->first;
    }
    return "";
}

void parse_comment(Cursor& cursor, Exposition& exposition, std::set<std::string>& helped,
                   const std::set<std::string>& sampled) {
    cursor.expect(' ');
    const std::string keyword = cursor.word();
    cursor.expect(' ');
    const std::string name = cursor.name(true);
    if (keyword == "HELP") {
        if (!helped.insert(name).second)
            cursor.fail("a second HELP line");
        if (cursor.take(' '))
            cursor.skip_rest();
    } else if (keyword == "TYPE") {
        cursor.expect(' ');
        const std::string type = cursor.word();
        if (!kMetricTypes.count(type))
            cursor.fail("unknown metric type");
        if (sampled.count(name))
            cursor.fail("TYPE after the family's samples");
        if (!exposition.types.emplace(name, type).second)
            cursor.fail("a second TYPE line");
    } else {
        cursor.fail("a comment that is neither HELP nor TYPE");
    }
    if (!cursor.done())
        cursor.fail("trailing text");
}

MetricSample parse_sample(Cursor& cursor) {
    MetricSample sample;
    sample.name = cursor.name(true);
    if (cursor.take('{')) {
        while (!cursor.take('}')) {
            std::string label = cursor.name(false);
            cursor.expect('=');
            if (!sample.labels.emplace(std::move(label), cursor.quoted()).second)
                cursor.fail("a label given twice");
            if (!cursor.take(',')) {
                cursor.expect('}');
                break;
            }
        }
    }
    cursor.expect(' ');
    sample.value = parse_value(cursor.word(), cursor);
    if (cursor.take(' '))
        parse_number<std::int64_t>(cursor.word(), cursor);  // a timestamp in milliseconds
    if (!cursor.done())
        cursor.fail("trailing text");
    return sample;
}

// Per series (labels without `le`): buckets never decrease as `le` grows, the last one is
// `+Inf` and equals `_count`, and there is a `_sum`.
void check_histogram(const Exposition& exposition, const std::string& family) {
    std::map<Labels, std::vector<std::pair<double, double>>> series;
    for (const auto& sample : exposition.samples) {
        if (sample.name != family + "_bucket")
            continue;
        Labels labels = sample.labels;
        auto le = labels.find("le");
        if (le == labels.end())
            throw std::runtime_error(family + ": a bucket without le");
        const double bound =
            le->second == "+Inf" ? std::numeric_limits<double>::infinity() : std::stod(le->second);
        labels.erase(le);
        series[labels].emplace_back(bound, sample.value);
    }
    for (auto& [labels, buckets] : series) {
        std::sort(buckets.begin(), buckets.end());
        for (std::size_t i = 1; i < buckets.size(); ++i) {
            if (buckets[i].second < buckets[i - 1].second)
                throw std::runtime_error(family + ": buckets are not cumulative");
        }
        if (buckets.back().first != std::numeric_limits<double>::infinity() ||
            exposition.value(family + "_count", labels) != buckets.back().second ||
            !exposition.value(family + "_sum", labels)) {
            throw std::runtime_error(family + ": +Inf bucket, _count and _sum do not agree");
        }
    }
}

std::string key_hash(const std::string& key) {
    std::string hash = command_output(gateway_binary() + " --hash-key '" + key + "'");
    hash.erase(hash.find_last_not_of('\n') + 1);
    if (hash.size() != 64)
        throw std::runtime_error("visiongw --hash-key printed '" + hash + "'");
    return hash;
}

}  // namespace

std::optional<double> Exposition::value(const std::string& name, const Labels& labels) const {
    for (const auto& sample : samples) {
        if (sample.name == name && sample.labels == labels)
            return sample.value;
    }
    return std::nullopt;
}

Exposition parse_exposition(const std::string& text) {
    if (text.empty() || text.back() != '\n')
        throw std::runtime_error("an exposition ends with a line feed");
    Exposition exposition;
    std::set<std::string> helped;
    std::set<std::string> sampled;
    std::istringstream lines(text);
    std::string line;
    for (std::size_t number = 1; std::getline(lines, line); ++number) {
        if (line.empty())
            continue;  // the format ignores empty lines
        Cursor cursor(line, number);
        if (cursor.take('#')) {
            parse_comment(cursor, exposition, helped, sampled);
            continue;
        }
        MetricSample sample = parse_sample(cursor);
        const std::string family = family_of(sample.name, exposition.types);
        if (family.empty())
            cursor.fail("a sample of a family without TYPE");
        sampled.insert(family);
        exposition.samples.push_back(std::move(sample));
    }
    for (const auto& [family, type] : exposition.types) {
        if (type == "histogram")
            check_histogram(exposition, family);
    }
    return exposition;
}

Exposition scrape(const GatewayProcess& gateway) {
    HttpAnswer answer = http_request(gateway.port(), "GET", "/health/metrics");
    EXPECT_EQ(answer.status, 200);
    EXPECT_EQ(answer.header("content-type").rfind("text/plain; version=0.0.4", 0), 0u)
        << answer.header("content-type");
    try {
        return parse_exposition(answer.body);
    } catch (const std::exception& e) {
        ADD_FAILURE() << "not a Prometheus text exposition: " << e.what();
        return {};
    }
}

std::vector<Poco::JSON::Object::Ptr> log_lines(const GatewayProcess& gateway) {
    std::vector<Poco::JSON::Object::Ptr> objects;
    std::istringstream lines(gateway.output());
    std::string line;
    while (std::getline(lines, line)) {
        try {
            objects.push_back(parse_object(line));
        } catch (const std::exception& e) {
            ADD_FAILURE() << "a log line that is not a JSON object (" << e.what() << "): " << line;
        }
    }
    return objects;
}

GatewayProcess& OperationsTest::start_gateway(std::map<std::string, std::string> sections,
                                              const std::vector<ApiKey>& keys) {
    if (!keys.empty())
        sections["auth"] += "enabled = true\nkeys_file = api_keys\n";  // next to the ini
    gateway_ = std::make_unique<GatewayProcess>(std::move(sections));
    if (!keys.empty()) {
        std::ofstream file(std::filesystem::path(gateway_->ini_path()).parent_path() / "api_keys");
        file << "# written by the operations tests\n";
        for (const auto& key : keys)
            file << key_hash(key.key) << " " << key.tenant << " " << key.role << "\n";
    }
    gateway_->start();
    return *gateway_;
}

void OperationsTest::TearDown() {
    stop_and_clean(gateway_);
}

HttpAnswer OperationsTest::get(const std::string& path,
                               const std::map<std::string, std::string>& headers) {
    return http_request(gateway_->port(), "GET", path, headers);
}

HttpAnswer OperationsTest::submit_as(const MultipartBody& form,
                                     const std::map<std::string, std::string>& headers) {
    return post_form(gateway_->port(), kAnalyzePath, form, headers);
}

std::string OperationsTest::submit_job(const MultipartBody& form,
                                       const std::map<std::string, std::string>& headers) {
    HttpAnswer answer = submit_as(form, headers);
    EXPECT_EQ(answer.status, 202) << answer.body;
    return answer.status == 202 ? parse_object(answer.body)->getValue<std::string>("job_id") : "";
}

std::string OperationsTest::job_status(const std::string& job_id,
                                       const std::map<std::string, std::string>& headers) {
    HttpAnswer answer = get(job_path(job_id), headers);
    EXPECT_EQ(answer.status, 200) << answer.body;
    return answer.status == 200 ? parse_object(answer.body)->getValue<std::string>("status") : "";
}

std::string blob_path(const GatewayProcess& gateway, const std::string& image) {
    const std::string sha = sha256_hex(image);
    return gateway.storage_root() + "/" + sha.substr(0, 2) + "/" + sha.substr(2, 2) + "/" + sha +
           ".png";
}

void report_completed(const GatewayProcess& gateway, const std::string& job_id) {
    publish_worker_event(gateway, R"({"schema_version":1,"job_id":")" + job_id +
                                      R"(","event":"completed","result":{}})");
}

}  // namespace visiongw::testing
