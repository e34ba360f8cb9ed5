// The C handshake every plugin library exports, readable before any plugin object exists.
#pragma once

#include <stddef.h>
#include <stdint.h>

// Raised whenever a change to any sdk/ header alters the layout or meaning of what crosses
// the plugin boundary; the host refuses a library whose value differs.
#define VISIONGW_SDK_ABI_VERSION 1u

// Compiler and standard-library facts that must match for C++ objects to cross the boundary.
#define VISIONGW_STRINGIFY_(x) #x
#define VISIONGW_STRINGIFY(x) VISIONGW_STRINGIFY_(x)
#define VISIONGW_BUILD_SIGNATURE                                                       \
    "gcc-abi-" VISIONGW_STRINGIFY(__GXX_ABI_VERSION) "/cxx11-abi-" VISIONGW_STRINGIFY( \
        _GLIBCXX_USE_CXX11_ABI)

#define VISIONGW_HANDSHAKE_SYMBOL "visiongw_plugin_handshake"
#define VISIONGW_FACTORY_SYMBOL "visiongw_create_plugin"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum visiongw_option_type {
    VISIONGW_OPTION_STRING = 0,
    VISIONGW_OPTION_INT = 1,
    VISIONGW_OPTION_DOUBLE = 2,
    VISIONGW_OPTION_BOOL = 3,
} visiongw_option_type;

// One configuration key a plugin accepts. The core validates the plugin's ini section against
// the table before the plugin sees it. `default_value`, `min` and `max` are text in the
// option's own type; NULL means "none".
typedef struct visiongw_option {
    const char* name;
    visiongw_option_type type;
    const char* default_value;
    int required;
    const char* min;
    const char* max;
    const char* description;
} visiongw_option;

// What a library says about itself. `kind` is one of "storage", "queue", "job_store",
// "analysis".
typedef struct visiongw_plugin_info {
    uint32_t abi_version;
    const char* build_signature;
    const char* name;
    const char* kind;
    const char* version;
    const visiongw_option* options;
    size_t option_count;
} visiongw_plugin_info;

typedef const visiongw_plugin_info* (*visiongw_handshake_fn)(void);

#ifdef __cplusplus
}
#endif
