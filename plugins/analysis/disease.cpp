// The 'disease' analysis type: which disease the leaf shows.
#include "analysis_validator.h"
#include "visiongw/sdk/export.h"

VISIONGW_ANALYSIS_TYPE("disease", DiseaseValidator, "0.6", "500", "which disease the leaf shows")
