// The `local` storage plugin library: its option table and exported entry points.
#include "local_storage.h"
#include "visiongw/sdk/export.h"

namespace {

constexpr visiongw_option kOptions[] = {
    {"root", VISIONGW_OPTION_STRING, "/var/lib/visiongw/files", 0, nullptr, nullptr,
     "Folder that holds the blobs (created if missing); the FILE_STORAGE_TEMP_DIR environment "
     "variable overrides it"},
    {"file_ttl_seconds", VISIONGW_OPTION_INT, "86400", 0, "1", nullptr,
     "Seconds a blob is kept after its last upload; FILE_STORAGE_FILE_TTL overrides it"},
    {"min_free_bytes", VISIONGW_OPTION_INT, "104857600", 0, "0", nullptr,
     "Uploads are refused as storage full while the filesystem has less free space"},
    {"fsync", VISIONGW_OPTION_BOOL, "false", 0, nullptr, nullptr,
     "Flush each blob to disk before publishing it"},
};

}  // namespace

VISIONGW_PLUGIN("local", visiongw::sdk::kStorageKind, "1.0.0", kOptions,
                visiongw::local::LocalStorage)
