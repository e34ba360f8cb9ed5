#include <csignal>

#include "app/gateway_app.h"

int main(int argc, char** argv) {
    // Writes to a closed client connection must fail with EPIPE, not kill the process.
    std::signal(SIGPIPE, SIG_IGN);
    visiongw::core::GatewayApp app;
    return app.run(argc, argv);
}
