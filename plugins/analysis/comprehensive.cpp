// The 'comprehensive' analysis type: a full report on the leaf.
#include "analysis_validator.h"
#include "visiongw/sdk/export.h"

VISIONGW_ANALYSIS_TYPE("comprehensive", ComprehensiveValidator, "0.5", "4000",
                       "a full report on the leaf: pests, diseases and condition")
