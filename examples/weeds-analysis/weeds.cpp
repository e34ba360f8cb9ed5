// The `weeds` analysis type: which weeds grow among a crop. Jobs name the crop (one of the
// crops this site serves) and the smallest weed patch worth reporting.
#include <visiongw/sdk/analysis.h>
#include <visiongw/sdk/export.h>

#include <algorithm>

namespace {

using namespace visiongw::sdk;

constexpr const char* kCrops[] = {"wheat", "maize", "soy", nullptr};

constexpr visiongw_option kOptions[] = {
    {.name = "default_crop",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "wheat",
     .choices = kCrops,
     .description = "crop of a job that names none"},
    {.name = "max_patch_cm2",
     .type = VISIONGW_OPTION_DOUBLE,
     .default_value = "10000",
     .min = "1",
     .description = "largest min_patch_cm2 a job may ask for"},
};

class WeedsValidator : public AnalysisValidator {
public:
    void configure(const PluginConfig& config, PluginContext&) override {
        default_crop_ = config.get_string("default_crop");
        max_patch_ = config.get_double("max_patch_cm2");
    }
    Health health() override { return {true, "static"}; }
    std::string analysis_type() const override { return "weeds"; }
    std::vector<ParameterSpec> parameters() const override {
        return {{"crop", ParamType::text, default_crop_, 0, 0, 16, "wheat, maize or soy"},
                {"min_patch_cm2", ParamType::number, 25.0, 0, max_patch_, 0,
                 "smallest weed patch reported, in cm²"}};
    }
    ValidatedParameters validate(const std::map<std::string, std::string>& fields) const override {
        ValidatedParameters out = validate_by_spec(parameters(), fields);
        const auto* crop = std::get_if<std::string>(&out.values["crop"]);
        if (crop != nullptr && std::none_of(std::begin(kCrops), std::end(kCrops) - 1,
                                            [&](const char* known) { return *crop == known; })) {
            out.errors.push_back({"crop", "invalid_field", "crop must be wheat, maize or soy"});
        }
        return out;
    }

private:
    std::string default_crop_;
    double max_patch_ = 10000;
};

}  // namespace

VISIONGW_PLUGIN("weeds", kAnalysisKind, "1.0.0", kOptions, WeedsValidator)
