#include "ops/metrics.h"

#include <prometheus/check_names.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace visiongw::core {

namespace {

// prometheus-cpp writes help text as given; the format wants backslash and newline escaped.
std::string escape_help(std::string_view help) {
    std::string escaped;
    escaped.reserve(help.size());
    for (char c : help) {
        if (c == '\\') {
            escaped += "\\\\";
        } else if (c == '\n') {
            escaped += "\\n";
        } else {
            escaped += c;
        }
    }
    return escaped;
}

// Registers (or finds) a family, naming the metric in any error.
template <typename T>
prometheus::Family<T>& register_family(prometheus::Registry& registry,
                                       prometheus::detail::Builder<T> builder,
                                       const std::string& name, const std::string& help) {
    try {
        return builder.Name(name).Help(escape_help(help)).Register(registry);
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument("metric " + name + ": " + e.what());
    }
}

void check_bounds(const std::string& name, const std::vector<double>& bounds) {
    const bool finite =
        std::all_of(bounds.begin(), bounds.end(), [](double b) { return std::isfinite(b); });
    const bool increasing =
        std::adjacent_find(bounds.begin(), bounds.end(), std::greater_equal<>()) == bounds.end();
    if (bounds.empty() || !finite || !increasing) {
        throw std::invalid_argument("metric " + name +
                                    ": bucket bounds must be finite and strictly increasing");
    }
}

bool valid_sample(const Sample& sample) {
    return prometheus::CheckMetricName(sample.name) &&
           (sample.type == "counter" || sample.type == "gauge") &&
           std::all_of(sample.labels.begin(), sample.labels.end(),
                       [](const auto& label) { return prometheus::CheckLabelName(label.first); });
}

prometheus::ClientMetric to_client_metric(const Sample& sample, prometheus::MetricType type) {
    prometheus::ClientMetric metric;
    for (const auto& [name, value] : sample.labels) {
        metric.label.push_back({name, value});
    }
    if (type == prometheus::MetricType::Counter) {
        metric.counter.value = sample.value;
    } else {
        metric.gauge.value = sample.value;
    }
    return metric;
}

// Groups the collectors' samples into families by name, leaving out (and counting in `errors`)
// whatever would make the exposition invalid; `taken` are the registry's own family names.
std::vector<prometheus::MetricFamily> collect(const std::vector<Collector>& collectors,
                                              const std::set<std::string>& taken,
                                              const Counter& errors) {
    std::map<std::string, prometheus::MetricFamily> families;
    std::map<std::string, std::set<MetricLabels>> label_sets;
    for (const auto& collector : collectors) {
        std::vector<Sample> samples;
        try {
            samples = collector();
        } catch (const std::exception&) {
            errors.increment();
            continue;
        }
        for (const auto& sample : samples) {
            if (!valid_sample(sample) || taken.count(sample.name) != 0) {
                errors.increment();
                continue;
            }
            const auto type = sample.type == "counter" ? prometheus::MetricType::Counter
                                                       : prometheus::MetricType::Gauge;
            auto [it, fresh] = families.try_emplace(sample.name);
            prometheus::MetricFamily& family = it->second;
            if (fresh) {
                family.name = sample.name;
                family.help = escape_help(sample.help);
                family.type = type;
            }
            if (family.type != type || !label_sets[sample.name].insert(sample.labels).second) {
                errors.increment();
                continue;
            }
            family.metric.push_back(to_client_metric(sample, type));
        }
    }
    std::vector<prometheus::MetricFamily> result;
    for (auto& [name, family] : families) {
        result.push_back(std::move(family));
    }
    return result;
}

}  // namespace

void Counter::increment(double by) const {
    cell_->Increment(by);
}
double Counter::value() const {
    return cell_->Value();
}

void Gauge::set(double value) const {
    cell_->Set(value);
}
void Gauge::increment(double by) const {
    cell_->Increment(by);
}
void Gauge::decrement(double by) const {
    cell_->Decrement(by);
}
double Gauge::value() const {
    return cell_->Value();
}

void Histogram::observe(double value) const {
    cell_->Observe(value);
}

template <typename Cell>
Cell MetricFamily<Cell>::with(const MetricLabels& labels) const {
    return Cell(family_->Add(labels));
}

template class MetricFamily<Counter>;
template class MetricFamily<Gauge>;

Histogram HistogramFamily::with(const MetricLabels& labels) const {
    return Histogram(family_->Add(labels, bounds_));
}

std::vector<double> exponential_buckets(double start, double factor, std::size_t count) {
    if (!(start > 0) || !(factor > 1) || count == 0) {
        throw std::invalid_argument("exponential buckets need start > 0, factor > 1, count >= 1");
    }
    std::vector<double> bounds{start};
    while (bounds.size() < count) {
        bounds.push_back(bounds.back() * factor);
    }
    return bounds;
}

MetricsRegistry::MetricsRegistry()
    : registry_(std::make_unique<prometheus::Registry>()),
      collector_errors_(counter("visiongw_metrics_collector_errors_total",
                                "Collector failures and invalid collected samples left out of "
                                "a scrape")) {}

MetricsRegistry::~MetricsRegistry() = default;

CounterFamily MetricsRegistry::counter_family(const std::string& name, const std::string& help) {
    std::lock_guard lock(mutex_);
    CounterFamily family(register_family(*registry_, prometheus::BuildCounter(), name, help));
    family_names_.insert(name);
    return family;
}

GaugeFamily MetricsRegistry::gauge_family(const std::string& name, const std::string& help) {
    std::lock_guard lock(mutex_);
    GaugeFamily family(register_family(*registry_, prometheus::BuildGauge(), name, help));
    family_names_.insert(name);
    return family;
}

HistogramFamily MetricsRegistry::histogram_family(const std::string& name, const std::string& help,
                                                  std::vector<double> bounds) {
    check_bounds(name, bounds);
    std::lock_guard lock(mutex_);
    auto known = histogram_bounds_.find(name);
    if (known != histogram_bounds_.end() && known->second != bounds) {
        throw std::invalid_argument("metric " + name + ": already made with other bucket bounds");
    }
    auto& family = register_family(*registry_, prometheus::BuildHistogram(), name, help);
    histogram_bounds_.emplace(name, bounds);
    family_names_.insert(name);
    return HistogramFamily(family, std::move(bounds));
}

Counter MetricsRegistry::counter(const std::string& name, const std::string& help) {
    return counter_family(name, help).with({});
}

Gauge MetricsRegistry::gauge(const std::string& name, const std::string& help) {
    return gauge_family(name, help).with({});
}

void MetricsRegistry::add_collector(Collector collector) {
    std::lock_guard lock(mutex_);
    collectors_.push_back(std::move(collector));
}

std::string MetricsRegistry::render() const {
    std::vector<Collector> collectors;
    std::set<std::string> taken;
    {
        std::lock_guard lock(mutex_);
        collectors = collectors_;
        taken = family_names_;
    }
    // Collectors first, so errors they cause show in this very scrape.
    auto collected = collect(collectors, taken, collector_errors_);
    auto families = registry_->Collect();
    std::move(collected.begin(), collected.end(), std::back_inserter(families));
    return prometheus::TextSerializer().Serialize(families);
}

}  // namespace visiongw::core
