#include "analysis_validator.h"

namespace visiongw::analysis {

void AnalysisTypeValidator::configure(const sdk::PluginConfig& config, sdk::PluginContext&) {
    description_ = config.get_string("description");
    auto prompt_limit = static_cast<std::size_t>(config.get_int("custom_prompt_max_length"));
    specs_ = {
        {"confidence_threshold", sdk::ParamType::number, config.get_double("confidence_threshold"),
         0, 1, 0, "minimum confidence of reported findings, in [0, 1]"},
        {"return_details", sdk::ParamType::boolean, config.get_bool("return_details"), 0, 0, 0,
         "whether the result includes per-finding details"},
        {"custom_prompt", sdk::ParamType::text, std::monostate{}, 0, 0, prompt_limit,
         "extra instructions for the analysis"},
    };
}

sdk::ValidatedParameters AnalysisTypeValidator::validate(
    const std::map<std::string, std::string>& fields) const {
    return sdk::validate_by_spec(specs_, fields);
}

}  // namespace visiongw::analysis
