// Analysis-type validator: names an analysis type and turns raw form fields into typed
// parameters or field errors.
#pragma once

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "visiongw/sdk/plugin.h"
#include "visiongw/sdk/utf8.h"

namespace visiongw::sdk {

inline constexpr const char* kAnalysisKind = "analysis";

// null (monostate), boolean, number or text.
using ParamValue = std::variant<std::monostate, bool, double, std::string>;

enum class ParamType { number, boolean, text };

// One form field an analysis type accepts.
struct ParameterSpec {
    std::string name;
    ParamType type = ParamType::text;
    ParamValue default_value;    // used when the field is absent
    double min = 0, max = 0;     // numbers: inclusive range
    std::size_t max_length = 0;  // text: limit in UTF-8 code points
    std::string description;
};

// A problem with one field; `code` is the API's error code (`invalid_field`, ...).
struct FieldError {
    std::string field;
    std::string code;
    std::string message;
};

struct ValidatedParameters {
    std::map<std::string, ParamValue> values;  // every spec'd parameter, given or defaulted
    std::vector<FieldError> errors;            // empty when the fields are valid
};

class BOOST_SYMBOL_VISIBLE AnalysisValidator : public Plugin {
public:
    virtual std::string analysis_type() const = 0;
    virtual std::vector<ParameterSpec> parameters() const = 0;
    // `fields` are the raw text form fields other than `image` and `analysis_type`; fields
    // the type does not declare are ignored.
    virtual ValidatedParameters validate(
        const std::map<std::string, std::string>& fields) const = 0;
};

namespace detail {
inline std::string format_number(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", value);
    return text;
}
}  // namespace detail

// The shared rules every validator can build on: converts each declared field by its spec
// (numbers in range, booleans as true/false/1/0, text as UTF-8 within its length).
inline ValidatedParameters validate_by_spec(const std::vector<ParameterSpec>& specs,
                                            const std::map<std::string, std::string>& fields) {
    ValidatedParameters out;
    for (const auto& spec : specs) {
        auto it = fields.find(spec.name);
        if (it == fields.end()) {
            out.values[spec.name] = spec.default_value;
            continue;
        }
        const std::string& raw = it->second;
        auto reject = [&](std::string why) {
            out.errors.push_back({spec.name, "invalid_field", spec.name + " " + std::move(why)});
        };
        switch (spec.type) {
            case ParamType::number: {
                double value = 0;
                auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), value);
                if (raw.empty() || ec != std::errc() || end != raw.data() + raw.size() ||
                    !std::isfinite(value)) {
                    reject("must be a number, got '" + raw.substr(0, 40) + "'");
                } else if (value < spec.min || value > spec.max) {
                    reject("must be between " + detail::format_number(spec.min) + " and " +
                           detail::format_number(spec.max) + ", got " + raw.substr(0, 40));
                } else {
                    out.values[spec.name] = value;
                }
                break;
            }
            case ParamType::boolean:
                if (raw == "true" || raw == "1") {
                    out.values[spec.name] = true;
                } else if (raw == "false" || raw == "0") {
                    out.values[spec.name] = false;
                } else {
                    reject("must be true, false, 1 or 0, got '" + raw.substr(0, 40) + "'");
                }
                break;
            case ParamType::text: {
                auto length = utf8_length(raw);
                if (!length) {
                    reject("must be UTF-8 text");
                } else if (*length > spec.max_length) {
                    reject("must be at most " + std::to_string(spec.max_length) +
                           " characters, got " + std::to_string(*length));
                } else {
                    out.values[spec.name] = raw;
                }
                break;
            }
        }
    }
    return out;
}

}  // namespace visiongw::sdk
