// The validator shared by the default analysis types: one class, configured per type by its
// own ini section (defaults and limits), so pest, disease and comprehensive differ only in data.
#pragma once

#include <string>
#include <vector>

#include "visiongw/sdk/analysis.h"

namespace visiongw::analysis {

// The option table every default analysis type declares, with that type's defaults.
#define VISIONGW_ANALYSIS_OPTIONS(THRESHOLD, PROMPT_LIMIT, DESCRIPTION)                            \
    {                                                                                              \
        {.name = "confidence_threshold",                                                           \
         .type = VISIONGW_OPTION_DOUBLE,                                                           \
         .default_value = THRESHOLD,                                                               \
         .min = "0",                                                                               \
         .max = "1",                                                                               \
         .description = "default confidence_threshold when a submit does not give one"},           \
            {.name = "return_details",                                                             \
             .type = VISIONGW_OPTION_BOOL,                                                         \
             .default_value = "false",                                                             \
             .description = "default return_details"},                                             \
            {.name = "custom_prompt_max_length",                                                   \
             .type = VISIONGW_OPTION_INT,                                                          \
             .default_value = PROMPT_LIMIT,                                                        \
             .min = "0",                                                                           \
             .max = "100000",                                                                      \
             .description =                                                                        \
                 "longest custom_prompt accepted, in characters (0: custom_prompt not accepted)"}, \
            {.name = "description",                                                                \
             .type = VISIONGW_OPTION_STRING,                                                       \
             .default_value = DESCRIPTION,                                                         \
             .description = "what this analysis type answers, for people"},                        \
    }

// Defines a whole analysis-type plugin library: its option table, class and exports.
#define VISIONGW_ANALYSIS_TYPE(NAME, CLASS, THRESHOLD, PROMPT_LIMIT, DESCRIPTION) \
    namespace {                                                                   \
    constexpr visiongw_option kOptions[] =                                        \
        VISIONGW_ANALYSIS_OPTIONS(THRESHOLD, PROMPT_LIMIT, DESCRIPTION);          \
    class CLASS : public visiongw::analysis::AnalysisTypeValidator {              \
    public:                                                                       \
        CLASS() : AnalysisTypeValidator(NAME) {}                                  \
    };                                                                            \
    }                                                                             \
    VISIONGW_PLUGIN(NAME, visiongw::sdk::kAnalysisKind, "1.0.0", kOptions, CLASS)

// Validates confidence_threshold, return_details and custom_prompt by the shared SDK rules.
// Immutable after configure(); thread-safe.
class AnalysisTypeValidator : public sdk::AnalysisValidator {
public:
    explicit AnalysisTypeValidator(std::string type) : type_(std::move(type)) {}

    void configure(const sdk::PluginConfig& config, sdk::PluginContext& context) override;
    sdk::Health health() override { return {true, description_}; }
    std::string analysis_type() const override { return type_; }
    std::vector<sdk::ParameterSpec> parameters() const override { return specs_; }
    sdk::ValidatedParameters validate(
        const std::map<std::string, std::string>& fields) const override;

private:
    std::string type_;
    std::string description_;
    std::vector<sdk::ParameterSpec> specs_;
};

}  // namespace visiongw::analysis
