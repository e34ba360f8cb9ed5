// A worker for `weeds` jobs (examples/weeds-analysis) on the worker SDK. Its analysis is a
// stand-in that reads the image through and reports what a real weed detector would answer
// with; the broker, protocol, cancellation and retries are the library's. It takes every job of
// the queue, so it serves a gateway whose only analysis type is `weeds`.
//   RABBITMQ_URL=amqp://guest:guest@localhost:5672/ FILE_STORAGE_TEMP_DIR=/var/lib/visiongw/files \
//     weeds-worker
#include <visiongw/worker/worker.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <thread>

using namespace visiongw::worker;

// Reads the image in 64 KiB steps, reporting progress and stopping when the job is cancelled.
Poco::JSON::Object::Ptr find_weeds(AnalysisContext& context) {
    char block[65536];
    std::uint64_t read = 0;
    while (std::size_t n = std::fread(block, 1, sizeof block, context.image())) {
        if (context.cancelled())
            throw AnalysisError("cancelled", "job cancelled", false);
        read += n;
        context.progress(static_cast<int>(100 * read / context.job().size_bytes));
    }
    Poco::JSON::Object::Ptr result = new Poco::JSON::Object;
    result->set("analysis_type", "weeds");
    result->set("crop", context.parameters().getValue<std::string>("crop"));
    result->set("min_patch_cm2", context.parameters().getValue<double>("min_patch_cm2"));
    result->set("weed_patches", Poco::JSON::Array::Ptr(new Poco::JSON::Array));
    result->set("bytes_analyzed", read);
    result->set("analyzer", "weeds-example");
    return result;
}

int main() {
    // SIGTERM and SIGINT are taken by one thread that stops the worker.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    WorkerOptions options;
    if (const char* url = std::getenv("RABBITMQ_URL"))
        options.amqp_url = url;
    // The gateway's storage folder: the worker reads job files only below it.
    const char* storage_root = std::getenv("FILE_STORAGE_TEMP_DIR");
    options.storage_root = storage_root != nullptr ? storage_root : "/var/lib/visiongw/files";
    try {
        Worker worker(options, find_weeds);
        std::thread stopper([&] {
            int signal = 0;
            sigwait(&stop_signals, &signal);
            worker.stop();
        });
        stopper.detach();
        worker.run();
    } catch (const std::exception& e) {
        std::cerr << "weeds-worker: " << e.what() << '\n';
        return 1;
    }
}
