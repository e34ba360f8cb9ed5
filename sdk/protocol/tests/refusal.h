// Checks that a decoder refuses a body with MalformedMessage naming what was wrong.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "visiongw/protocol/schema.h"

namespace visiongw::protocol::testing {

// The MalformedMessage text `decode(body)` throws; a failure when it accepts the body or throws
// anything else.
template <typename Decode>
std::string refusal(Decode decode, const std::string& body) {
    try {
        decode(body);
    } catch (const MalformedMessage& e) {
        return e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "threw something else than MalformedMessage for " << body << ": "
                      << e.what();
        return "";
    }
    ADD_FAILURE() << "accepted " << body;
    return "";
}

// Every prefix of a valid `body` is either decoded or refused with MalformedMessage.
template <typename Decode>
void expect_every_prefix_handled(Decode decode, const std::string& body) {
    for (std::size_t size = 0; size < body.size(); ++size) {
        try {
            decode(body.substr(0, size));
        } catch (const MalformedMessage&) {
        } catch (const std::exception& e) {
            ADD_FAILURE() << "prefix of " << size << " bytes threw " << e.what();
        }
    }
}

}  // namespace visiongw::protocol::testing
