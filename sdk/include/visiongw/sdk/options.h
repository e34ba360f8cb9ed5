// C++ helpers over the option tables of abi.h, shared by every program that reads them (the
// gateway's validator and the reference worker), so both word choices alike.
#pragma once

#include <span>
#include <string>

#include "visiongw/sdk/abi.h"

namespace visiongw::sdk {

using OptionTable = std::span<const visiongw_option>;

// Whether `value` is one of the option's `choices` (true when it declares none).
inline bool is_choice(const visiongw_option& option, const std::string& value) {
    if (option.choices == nullptr)
        return true;
    for (const char* const* choice = option.choices; *choice != nullptr; ++choice) {
        if (value == *choice)
            return true;
    }
    return false;
}

// The option's `choices` for people: "a, b or c".
inline std::string choice_list(const visiongw_option& option) {
    std::string list;
    for (const char* const* choice = option.choices; choice && *choice != nullptr; ++choice) {
        if (!list.empty())
            list += choice[1] == nullptr ? " or " : ", ";
        list += *choice;
    }
    return list;
}

}  // namespace visiongw::sdk
