// Prometheus metrics for GET /health/metrics, backed by prometheus-cpp (Debian's
// prometheus-cpp-dev): families are made once, their cells are updated from many threads, and
// collectors add samples (plugin and storage numbers) at scrape time.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace visiongw::core {

// Label name → value, e.g. {{"route", "/api/v1/vision/analyze"}, {"status", "202"}}.
using MetricLabels = std::map<std::string, std::string>;

// One counter cell. A cheap handle: copy it freely; increments are lock-free. Valid while its
// MetricsRegistry lives.
class Counter {
public:
    using Backend = prometheus::Counter;
    explicit Counter(Backend& cell) : cell_(&cell) {}
    // Adds `by` (≥ 0; prometheus-cpp ignores a negative amount).
    void increment(double by = 1.0) const;
    double value() const;

private:
    Backend* cell_;
};

// One gauge cell. A cheap handle: copy it freely; updates are lock-free. Valid while its
// MetricsRegistry lives.
class Gauge {
public:
    using Backend = prometheus::Gauge;
    explicit Gauge(Backend& cell) : cell_(&cell) {}
    void set(double value) const;
    void increment(double by = 1.0) const;
    void decrement(double by = 1.0) const;
    double value() const;

private:
    Backend* cell_;
};

// One histogram cell. A cheap handle: copy it freely; observe() takes only this cell's own
// short lock. Valid while its MetricsRegistry lives.
class Histogram {
public:
    using Backend = prometheus::Histogram;
    explicit Histogram(Backend& cell) : cell_(&cell) {}
    void observe(double value) const;

private:
    Backend* cell_;
};

// A counter or gauge name with one cell per label set. with() takes the family's mutex, so a
// hot path with fixed labels keeps the returned handle. Valid while its MetricsRegistry lives.
template <typename Cell>
class MetricFamily {
public:
    explicit MetricFamily(prometheus::Family<typename Cell::Backend>& family) : family_(&family) {}
    // The cell for these labels, made (at 0) on first use. Throws std::invalid_argument for an
    // invalid label name.
    Cell with(const MetricLabels& labels) const;

private:
    prometheus::Family<typename Cell::Backend>* family_;
};

using CounterFamily = MetricFamily<Counter>;
using GaugeFamily = MetricFamily<Gauge>;

// A histogram name with one cell per label set, all with the family's bucket bounds. Same rules
// as MetricFamily.
class HistogramFamily {
public:
    HistogramFamily(prometheus::Family<prometheus::Histogram>& family, std::vector<double> bounds)
        : family_(&family), bounds_(std::move(bounds)) {}
    Histogram with(const MetricLabels& labels) const;

private:
    prometheus::Family<prometheus::Histogram>* family_;
    std::vector<double> bounds_;
};

// One number yielded by a collector at scrape time. `type` is "counter" or "gauge"; `name`
// follows Prometheus conventions (`_total`, `_bytes`, `_seconds`). Samples of one name from any
// collectors form one family (help and type of the first one seen).
struct Sample {
    std::string name;
    std::string help;
    std::string type;
    MetricLabels labels;
    double value = 0;
};

// Called on the scraping thread at every render(); must be safe to call from any thread.
using Collector = std::function<std::vector<Sample>()>;

// Bucket bounds start, start·factor, start·factor², … (`count` of them), e.g. for upload sizes.
// Throws std::invalid_argument unless start > 0, factor > 1 and count ≥ 1.
std::vector<double> exponential_buckets(double start, double factor, std::size_t count);

// The process's metrics. Thread-safe: families may be made and collectors added at any time
// (usually at start-up), cells updated from any thread, render() called concurrently.
class MetricsRegistry {
public:
    // The Content-Type of render()'s text.
    static constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

    MetricsRegistry();
    ~MetricsRegistry();
    MetricsRegistry(const MetricsRegistry&) = delete;
    MetricsRegistry& operator=(const MetricsRegistry&) = delete;

    // Each returns the family of that name, making it on the first call; asking again for the
    // name with the same kind (and bounds) returns the same family, which keeps its first help.
    // Throws std::invalid_argument for an invalid metric name, a name taken by another kind, or
    // (histograms) bounds that are empty, not finite, not strictly increasing or not the bounds
    // the name was first made with.
    CounterFamily counter_family(const std::string& name, const std::string& help);
    GaugeFamily gauge_family(const std::string& name, const std::string& help);
    HistogramFamily histogram_family(const std::string& name, const std::string& help,
                                     std::vector<double> bounds);

    // Shorthands for an unlabelled cell: the family's cell for no labels.
    Counter counter(const std::string& name, const std::string& help);
    Gauge gauge(const std::string& name, const std::string& help);

    // Adds a source of samples for every later render(). A collector that throws, or a sample
    // with an invalid name, type or label name, a name of a registered family, another type than
    // the first sample of its name, or a repeated label set, is left out of that scrape and
    // counted in visiongw_metrics_collector_errors_total.
    void add_collector(Collector collector);

    // The text exposition (format 0.0.4) of every family with at least one cell, then every
    // collected sample: # HELP and # TYPE once per family, escaped help and label values,
    // histograms as cumulative _bucket{le=…} lines up to +Inf, then _sum and _count.
    std::string render() const;

private:
    std::unique_ptr<prometheus::Registry> registry_;
    mutable std::mutex mutex_;
    std::set<std::string> family_names_;
    std::map<std::string, std::vector<double>> histogram_bounds_;
    std::vector<Collector> collectors_;
    Counter collector_errors_;
};

}  // namespace visiongw::core
