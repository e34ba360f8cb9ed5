// Polling for a condition in tests that watch other processes or threads.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace visiongw::testing {

// Checks `condition` every 50 ms until it holds or `timeout` passed; true if it held.
inline bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    for (auto deadline = std::chrono::steady_clock::now() + timeout;
         std::chrono::steady_clock::now() < deadline;
         std::this_thread::sleep_for(std::chrono::milliseconds(50))) {
        if (condition())
            return true;
    }
    return condition();
}

}  // namespace visiongw::testing
