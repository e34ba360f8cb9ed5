// visiongw-worker: the reference worker. Takes the gateway's jobs from RabbitMQ and analyses
// them with the analyzer named in `[worker]` of the gateway's ini file.
#include <signal.h>

#include <cstring>
#include <iostream>
#include <thread>

#include "builtin_analyzer.h"
#include "http_analyzer.h"
#include "json_log.h"
#include "worker_config.h"

namespace {

using namespace visiongw::worker;

void print_usage() {
    std::cout << "usage: visiongw-worker [--config PATH]   (default etc/visiongw.ini)\n\n"
                 "Reads [rabbitmq], [log] level and [local] root (shared with the gateway) and "
                 "[worker]:\n";
    for (const auto& option : reference::worker_options()) {
        std::cout << "  " << option.name << " (default '" << option.default_value << "'";
        if (option.env != nullptr)
            std::cout << ", env " << option.env;
        std::cout << "): " << option.description << "\n";
    }
    std::cout << "Environment overrides of [rabbitmq]:";
    for (const auto& option : reference::rabbitmq_keys()) {
        if (option.env != nullptr)
            std::cout << " " << option.name << " " << option.env;
    }
    std::cout << "\n";
}

}  // namespace

int main(int argc, char** argv) {
    std::string config_path = "etc/visiongw.ini";
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config_path = argv[++i];
        } else if (std::strncmp(argv[i], "--config=", 9) == 0) {
            config_path = argv[i] + 9;
        } else if (std::strcmp(argv[i], "--help") == 0) {
            print_usage();
            return 0;
        } else {
            std::cerr << "visiongw-worker: unknown argument '" << argv[i] << "' (see --help)\n";
            return 2;
        }
    }
    reference::ReferenceWorkerConfig config;
    try {
        config = reference::load_worker_config(config_path);
    } catch (const reference::WorkerConfigError& e) {
        std::cerr << "visiongw-worker: " << e.what() << "\n";
        return 2;
    }
    config.worker.log = reference::json_line_log(std::cout, config.log_level);
    Analyzer analyzer = reference::analyse_colours;
    if (config.analyzer == "http")
        analyzer = reference::HttpAnalyzer(config.http);

    // Every thread inherits the blocked signals; only the waiter below takes them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    Worker worker(config.worker, analyzer);
    std::thread signal_waiter([&] {
        int signal_number = 0;
        sigwait(&stop_signals, &signal_number);
        config.worker.log({LogLevel::info,
                           std::string("received ") + strsignal(signal_number) + ": stopping",
                           {},
                           {},
                           {},
                           {}});
        worker.stop();
    });
    worker.run();
    signal_waiter.join();
    return 0;
}
