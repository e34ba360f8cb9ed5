// The `local` storage plugin library: its option table and exported entry points.
#include "local_storage.h"
#include "visiongw/sdk/export.h"

namespace {

constexpr visiongw_option kOptions[] = {
    {.name = "root",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "/var/lib/visiongw/files",
     .env = "FILE_STORAGE_TEMP_DIR",
     .description = "Folder that holds the blobs (created if missing)"},
    {.name = "file_ttl_seconds",
     .type = VISIONGW_OPTION_INT,
     .default_value = "86400",
     .min = "1",
     .env = "FILE_STORAGE_FILE_TTL",
     .description = "Seconds a blob is kept after its last upload"},
    {.name = "min_free_bytes",
     .type = VISIONGW_OPTION_INT,
     .default_value = "104857600",
     .min = "0",
     .description = "Uploads are refused as storage full while the filesystem has less free space"},
    {.name = "fsync",
     .type = VISIONGW_OPTION_BOOL,
     .default_value = "false",
     .description = "Flush each blob to disk before publishing it"},
};

}  // namespace

VISIONGW_PLUGIN("local", visiongw::sdk::kStorageKind, "1.0.0", kOptions,
                visiongw::local::LocalStorage)
