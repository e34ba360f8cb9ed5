// The 'pest' analysis type: which pest is on the leaf.
#include "analysis_validator.h"
#include "visiongw/sdk/export.h"

VISIONGW_ANALYSIS_TYPE("pest", PestValidator, "0.6", "500", "which pest is on the leaf")
