// The C handshake every plugin library exports, readable before any plugin object exists.
#pragma once

#include <stddef.h>
#include <stdint.h>

// Raised whenever a change to any sdk/ header alters the layout or meaning of what crosses
// the plugin boundary; the host refuses a library whose value differs.
// `abi_version` stays the first field of visiongw_plugin_info in every version, so the host can
// read it from any library and refuse one of another version before touching the rest.
// Version 2 added `choices` and `env` to visiongw_option; version 3 added `url` to
// sdk::StoredBlob (storage.h); version 4 the job store's listing capability (sdk::JobLister,
// JobQuery, JobPage) and sdk::InvalidCursor; version 5 the trace context (`traceparent`,
// `tracestate`) of sdk::JobRecord and sdk::JobMessage, the idempotency keys of
// sdk::JobStore, and the completion webhooks (sdk::JobRecord's `callback_url` and `webhook`,
// the sdk::WebhookOutbox capability).
#define VISIONGW_SDK_ABI_VERSION 5u

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

// The fields of visiongw_option a table entry may leave out: in C++ they default to "none"
// (NULL, 0), so a table written with designated initializers names only what it sets.
#ifdef __cplusplus
#define VISIONGW_OPTIONAL_FIELD = {}
#else
#define VISIONGW_OPTIONAL_FIELD
#endif

// One configuration key a plugin accepts. The core validates the plugin's ini section against
// the table before the plugin sees it. `default_value`, `min` and `max` are text in the
// option's own type; NULL means "none". `choices`, when set, is the NULL-terminated list of the
// only values accepted (compared as text). `env`, when set, names the environment variable
// whose value, when the variable is set, replaces the ini's.
//
//     constexpr const char* kQueueTypes[] = {"classic", "quorum", nullptr};
//     constexpr visiongw_option kOptions[] = {
//         {.name = "url", .type = VISIONGW_OPTION_STRING, .default_value = "amqp://host/",
//          .env = "RABBITMQ_URL", .description = "broker URL"},
//         {.name = "queue_type", .type = VISIONGW_OPTION_STRING, .default_value = "classic",
//          .choices = kQueueTypes, .description = "job queue type"},
//     };
typedef struct visiongw_option {
    const char* name;
    visiongw_option_type type;
    const char* default_value VISIONGW_OPTIONAL_FIELD;
    int required VISIONGW_OPTIONAL_FIELD;
    const char* min VISIONGW_OPTIONAL_FIELD;
    const char* max VISIONGW_OPTIONAL_FIELD;
    const char* const* choices VISIONGW_OPTIONAL_FIELD;
    const char* env VISIONGW_OPTIONAL_FIELD;
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
