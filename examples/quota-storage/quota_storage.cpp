// The `quota` storage plugin: the `local` plugin of the same folder, wrapped so that the store
// never holds more than `max_total_bytes`. An upload that would pass the quota is refused as
// storage full (the gateway answers 507) and leaves nothing behind.
#include <visiongw/sdk/export.h>
#include <visiongw/sdk/storage.h>

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <cstring>

namespace {

using namespace visiongw::sdk;

constexpr visiongw_option kOptions[] = {
    {.name = "max_total_bytes",
     .type = VISIONGW_OPTION_INT,
     .default_value = "1073741824",
     .min = "1",
     .description = "bytes the store may hold; an upload past them is refused as storage full"},
    // Options of the same name are handed to `local`; its others keep their defaults.
    {.name = "root",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "/var/lib/visiongw/files",
     .env = "FILE_STORAGE_TEMP_DIR",
     .description = "folder of the blobs (local's root)"},
    {.name = "min_free_bytes",
     .type = VISIONGW_OPTION_INT,
     .default_value = "104857600",
     .min = "0",
     .description = "local's floor of free filesystem space"},
};

// The configuration of the wrapped plugin: its option table's defaults, replaced by this
// plugin's options of the same name.
std::map<std::string, OptionValue> inner_values(const visiongw_plugin_info& inner,
                                                const PluginConfig& own) {
    std::map<std::string, OptionValue> values;
    for (std::size_t i = 0; i < inner.option_count; ++i) {
        const visiongw_option& option = inner.options[i];
        const std::string name = option.name;
        const bool given = own.has(name);
        if (!given && option.default_value == nullptr)
            throw ConfigError(std::string(inner.name) + "'s option " + name + " needs a value");
        switch (option.type) {
            case VISIONGW_OPTION_STRING:
                values[name] = given ? own.get_string(name) : std::string(option.default_value);
                break;
            case VISIONGW_OPTION_INT:
                values[name] = given ? own.get_int(name) : std::stoll(option.default_value);
                break;
            case VISIONGW_OPTION_DOUBLE:
                values[name] = given ? own.get_double(name) : std::stod(option.default_value);
                break;
            case VISIONGW_OPTION_BOOL:
                values[name] =
                    given ? own.get_bool(name) : std::strcmp(option.default_value, "true") == 0;
                break;
        }
    }
    return values;
}

// BlobWriter's contract seen from both sides: this writer refuses (StorageFull) the chunk that
// would take the upload past `room`; the wrapped writer keeps the bytes invisible until commit()
// and removes them on abort() or when destroyed uncommitted, so a refused upload leaves nothing.
class QuotaWriter : public BlobWriter {
public:
    QuotaWriter(std::unique_ptr<BlobWriter> inner, std::uint64_t room)
        : inner_(std::move(inner)), room_(room) {}
    void write(const char* data, std::size_t size) override {
        if (written_ + size > room_)
            throw StorageFull("the upload would take the store past its quota");
        inner_->write(data, size);
        written_ += size;
    }
    StoredBlob commit(std::string_view sha256_hex, std::string_view extension) override {
        return inner_->commit(sha256_hex, extension);
    }
    void abort() noexcept override { inner_->abort(); }

private:
    std::unique_ptr<BlobWriter> inner_;
    std::uint64_t room_;
    std::uint64_t written_ = 0;
};

// Everything but begin_write() is local's. Uploads running at once each see the room left
// before any of them, so they may together pass the quota by less than one upload each; and
// local's stats() lists its folder, so a real quota would keep a running total instead.
class QuotaStorage : public StorageBackend {
public:
    void configure(const PluginConfig& config, PluginContext& context) override {
        const auto path = boost::dll::this_line_location().parent_path() / "visiongw-local.so";
        library_.load(path, boost::dll::load_mode::rtld_lazy | boost::dll::load_mode::rtld_local);
        const visiongw_plugin_info* info =
            library_.get<const visiongw_plugin_info*()>(VISIONGW_HANDSHAKE_SYMBOL)();
        if (info->abi_version != VISIONGW_SDK_ABI_VERSION ||
            std::strcmp(info->kind, kStorageKind) != 0) {
            throw ConfigError(path.string() + " is not a storage plugin of this SDK ABI");
        }
        std::unique_ptr<Plugin> plugin =
            library_.get_alias<PluginFactory>(VISIONGW_FACTORY_SYMBOL)();
        if (dynamic_cast<StorageBackend*>(plugin.get()) == nullptr)
            throw ConfigError(path.string() + " made no StorageBackend");
        inner_.reset(static_cast<StorageBackend*>(plugin.release()));
        inner_->configure(PluginConfig(info->name, inner_values(*info, config)), context);
        max_total_ = static_cast<std::uint64_t>(config.get_int("max_total_bytes"));
    }
    void start() override { inner_->start(); }
    void stop() noexcept override { inner_->stop(); }
    Health health() override { return inner_->health(); }
    std::vector<MetricSample> metrics() override { return inner_->metrics(); }

    std::unique_ptr<BlobWriter> begin_write() override {
        const std::uint64_t held = inner_->stats(std::chrono::system_clock::now()).bytes;
        if (held >= max_total_)
            throw StorageFull("the store holds its quota of " + std::to_string(max_total_) +
                              " bytes");
        return std::make_unique<QuotaWriter>(inner_->begin_write(), max_total_ - held);
    }
    std::optional<BlobStat> stat(std::string_view key) override { return inner_->stat(key); }
    std::unique_ptr<std::istream> open(std::string_view key) override { return inner_->open(key); }
    bool remove(std::string_view key) override { return inner_->remove(key); }
    std::vector<BlobStat> expired(std::chrono::system_clock::time_point now) override {
        return inner_->expired(now);
    }
    StorageStats stats(std::chrono::system_clock::time_point now) override {
        return inner_->stats(now);
    }

private:
    boost::dll::shared_library library_;  // declared first, so it outlives inner_
    std::unique_ptr<StorageBackend> inner_;
    std::uint64_t max_total_ = 0;
};

}  // namespace

VISIONGW_PLUGIN("quota", kStorageKind, "1.0.0", kOptions, QuotaStorage)
