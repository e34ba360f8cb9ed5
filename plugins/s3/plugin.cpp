// The `s3` storage plugin library: its option table and exported entry points.
#include "s3_storage.h"
#include "visiongw/sdk/export.h"

namespace {

constexpr const char* kAddressing[] = {"path", "virtual", nullptr};

constexpr visiongw_option kOptions[] = {
    {.name = "endpoint",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "",
     .env = "AWS_ENDPOINT_URL",
     .description = "S3 endpoint as http(s)://host[:port]; empty: AWS, "
                    "https://s3.<region>.amazonaws.com"},
    {.name = "region",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "us-east-1",
     .env = "AWS_REGION",
     .description = "region the requests are signed for"},
    {.name = "bucket",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "visiongw",
     .description = "bucket that holds the images (it must exist)"},
    {.name = "key_prefix",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "images/",
     .description = "prefix of every object key; images are <prefix><sha256>.<extension>"},
    {.name = "addressing",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "path",
     .choices = kAddressing,
     .description = "path: endpoint/bucket/key (MinIO, Swift, Ceph); virtual: "
                    "bucket.endpoint/key (AWS)"},
    {.name = "access_key_id",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "",
     .env = "AWS_ACCESS_KEY_ID",
     .description = "access key id"},
    {.name = "secret_access_key",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "",
     .env = "AWS_SECRET_ACCESS_KEY",
     .description = "secret access key"},
    {.name = "request_timeout_ms",
     .type = VISIONGW_OPTION_INT,
     .default_value = "10000",
     .min = "100",
     .max = "600000",
     .description = "bound on connecting and on each send or receive of one request"},
    {.name = "pool_size",
     .type = VISIONGW_OPTION_INT,
     .default_value = "16",
     .min = "1",
     .max = "1024",
     .description = "idle connections kept open to the endpoint"},
    {.name = "presign_seconds",
     .type = VISIONGW_OPTION_INT,
     .default_value = "86400",
     .min = "60",
     .max = "604800",
     .description = "lifetime of the presigned GET URL a job message carries (keep it at least "
                    "the job record's TTL)"},
    {.name = "file_ttl_seconds",
     .type = VISIONGW_OPTION_INT,
     .default_value = "86400",
     .min = "1",
     .env = "FILE_STORAGE_FILE_TTL",
     .description = "seconds an image is kept after its last upload"},
    {.name = "spool_dir",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "/var/tmp",
     .description = "folder for the unnamed file an upload is spooled to before its PUT (up to "
                    "max_file_size per upload in progress)"},
};

}  // namespace

VISIONGW_PLUGIN("s3", visiongw::sdk::kStorageKind, "1.0.0", kOptions, visiongw::s3::S3Storage)
