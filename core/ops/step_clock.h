// Milliseconds spent in named steps of one request, in order, for the access log and metrics.
#pragma once

#include <chrono>
#include <string_view>
#include <utility>
#include <vector>

namespace visiongw::core {

// Milliseconds from `start` until now.
inline double milliseconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
}

// Milliseconds a request spent in each named step, in order, for the access log.
using StepTimes = std::vector<std::pair<std::string_view, double>>;

// Appends to StepTimes the time since the previous mark (or since construction) under a name.
class StepClock {
public:
    explicit StepClock(StepTimes& steps) : steps_(steps), last_(std::chrono::steady_clock::now()) {}
    // Returns the step's milliseconds.
    double mark(std::string_view step) {
        const auto now = std::chrono::steady_clock::now();
        const double ms = std::chrono::duration<double, std::milli>(now - last_).count();
        steps_.emplace_back(step, ms);
        last_ = now;
        return ms;
    }

private:
    StepTimes& steps_;
    std::chrono::steady_clock::time_point last_;
};

}  // namespace visiongw::core
