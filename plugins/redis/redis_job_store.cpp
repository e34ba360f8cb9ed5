#include "redis_job_store.h"

#include <Poco/DigestEngine.h>
#include <Poco/Exception.h>
#include <Poco/SHA1Engine.h>

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace visiongw::redis {

namespace {

using Poco::Redis::Array;
using Poco::Redis::BulkString;
using Poco::Redis::RedisType;

// The Lua twin of sdk::is_final, prepended to the scripts that need it.
constexpr const char* kIsFinalLua = R"lua(
local function is_final(status)
  return status == 'completed' or status == 'failed' or status == 'cancelled'
end
)lua";

// The listing indexes a job is in: any, by its status, by its type, by both (see the class
// comment). Positions 2 and 4 depend on the status.
constexpr const char* kListKeysLua = R"lua(
local function list_keys(prefix, tenant, status, analysis_type)
  local base = prefix .. #tenant .. ':' .. tenant .. ':'
  return {base .. '*:*', base .. status .. ':*', base .. '*:' .. analysis_type,
          base .. status .. ':' .. analysis_type}
end
)lua";

// Writes a job hash from ARGV[first], ARGV[first + 1], ... (field, value pairs), enters it in
// its listing indexes under `list_prefix` and, with a file set, adds the job to it; all expire
// after `ttl`. Also drops up to two entries of expired jobs from the old end of each of the
// job's indexes, so an index stays as long as its live jobs while jobs keep coming. Prepended
// to the scripts that create (after kListKeysLua).
constexpr const char* kCreateRecordLua = R"lua(
local function create_record(job, file_set, ttl, id, list_prefix, first)
  redis.call('DEL', job)
  redis.call('HSET', job, unpack(ARGV, first))
  local now = redis.call('TIME')
  local entry = string.format('%010d%06d', tonumber(now[1]), tonumber(now[2])) .. ':' .. id
  redis.call('HSET', job, 'list_entry', entry)
  redis.call('EXPIRE', job, ttl)
  local job_prefix = string.sub(job, 1, #job - #id)
  local fields = redis.call('HMGET', job, 'tenant', 'status', 'analysis_type')
  for _, index in ipairs(list_keys(list_prefix, fields[1], fields[2], fields[3])) do
    for _, old in ipairs(redis.call('ZRANGEBYLEX', index, '-', '+', 'LIMIT', 0, 2)) do
      if redis.call('EXISTS', job_prefix .. string.sub(old, 18)) == 0 then
        redis.call('ZREM', index, old)
      end
    end
    redis.call('ZADD', index, 0, entry)
    redis.call('EXPIRE', index, ttl)
  end
  if file_set then
    redis.call('SADD', file_set, id)
    redis.call('EXPIRE', file_set, ttl)
  end
end
)lua";

// KEYS: job hash[, file set]. ARGV: ttl, job id, list prefix, field, value, ...
constexpr const char* kCreateLua = R"lua(
create_record(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], 4)
return 1
)lua";

// KEYS: idempotency key hash, job hash[, file set]. ARGV: ttl, job id, list prefix,
// fingerprint, pending ttl, field, value, ... Returns {} when it created the job, else the key's
// {fingerprint, job id, state}.
constexpr const char* kCreateWithIdempotencyKeyLua = R"lua(
local taken = redis.call('HMGET', KEYS[1], 'fingerprint', 'job_id', 'state')
if taken[1] then return taken end
create_record(KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3], 6)
redis.call('HSET', KEYS[1], 'fingerprint', ARGV[4], 'job_id', ARGV[2], 'state', 'pending')
redis.call('EXPIRE', KEYS[1], ARGV[5])
return {}
)lua";

// KEYS: idempotency key hash. ARGV: job id, ttl. Completes the key when it is the job's.
constexpr const char* kCompleteIdempotencyKeyLua = R"lua(
if redis.call('HGET', KEYS[1], 'job_id') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'completed')
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
)lua";

// KEYS: idempotency key hash. ARGV: job id. Frees the key when it is the job's.
constexpr const char* kReleaseIdempotencyKeyLua = R"lua(
if redis.call('HGET', KEYS[1], 'job_id') ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
)lua";

// The milliseconds of Redis TIME, prepended to the webhook scripts: one clock for every gateway.
constexpr const char* kNowMsLua = R"lua(
local function now_ms()
  local now = redis.call('TIME')
  return tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
end
)lua";

// KEYS: job hash, webhook due set. ARGV: status, progress or '', result_json, error_json,
// updated_at, ttl, file set key prefix, job id, list prefix. Returns {outcome[, HGETALL of the
// record]}. A final state makes a pending webhook due now.
constexpr const char* kTransitionLua = R"lua(
local key = KEYS[1]
local current = redis.call('HGET', key, 'status')
if not current then return {'not_found'} end
local wanted = ARGV[1]
if is_final(current) or wanted == 'queued' then
  local outcome = (current == wanted) and 'already' or 'refused'
  return {outcome, redis.call('HGETALL', key)}
end
local progress = tonumber(redis.call('HGET', key, 'progress')) or 0
if wanted == 'completed' then
  progress = 100
elseif ARGV[2] ~= '' then
  progress = math.max(progress, tonumber(ARGV[2]))
end
local fields = {'status', wanted, 'progress', tostring(math.floor(progress))}
local given = {'result_json', ARGV[3], 'error_json', ARGV[4], 'updated_at', ARGV[5]}
for i = 1, #given, 2 do
  if given[i + 1] ~= '' then
    table.insert(fields, given[i])
    table.insert(fields, given[i + 1])
  end
end
redis.call('HSET', key, unpack(fields))
redis.call('EXPIRE', key, ARGV[6])
local job = redis.call('HMGET', key, 'list_entry', 'tenant', 'analysis_type')
if job[1] then
  local before = list_keys(ARGV[9], job[2], current, job[3])
  local after = list_keys(ARGV[9], job[2], wanted, job[3])
  for i, index in ipairs(after) do
    if before[i] ~= index then
      redis.call('ZREM', before[i], job[1])
      redis.call('ZADD', index, 0, job[1])
    end
    redis.call('EXPIRE', index, ARGV[6])
  end
end
if is_final(wanted) and redis.call('HGET', key, 'webhook_status') == 'pending' then
  redis.call('ZADD', KEYS[2], now_ms(), ARGV[8])
end
local file_key = redis.call('HGET', key, 'file_key')
if file_key and file_key ~= '' then
  local file_set = ARGV[7] .. file_key
  if is_final(wanted) then
    redis.call('SREM', file_set, ARGV[8])
  else
    redis.call('SADD', file_set, ARGV[8])
    redis.call('EXPIRE', file_set, ARGV[6])
  end
end
return {'applied', redis.call('HGETALL', key)}
)lua";

// KEYS: webhook due set. ARGV: job key prefix, lease ms, limit. Returns the HGETALL of each
// due job whose webhook is pending, after moving its due time a lease ahead; members whose job
// expired or whose webhook is no longer pending leave the set.
constexpr const char* kClaimWebhooksLua = R"lua(
local now = now_ms()
local claimed = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, ARGV[3])) do
  local job = ARGV[1] .. id
  if redis.call('HGET', job, 'webhook_status') == 'pending' then
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), id)
    table.insert(claimed, redis.call('HGETALL', job))
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return claimed
)lua";

// KEYS: job hash, webhook due set. ARGV: job id, attempt, 'delivered' | 'retry' | 'failed',
// error, retry delay ms. Returns 1 when applied: the webhook was pending with attempt - 1
// attempts.
constexpr const char* kRecordWebhookAttemptLua = R"lua(
local state = redis.call('HMGET', KEYS[1], 'webhook_status', 'webhook_attempts')
if state[1] ~= 'pending' or tonumber(state[2]) ~= tonumber(ARGV[2]) - 1 then return 0 end
local outcome = ARGV[3]
local status = (outcome == 'retry') and 'pending' or outcome
local error = (outcome == 'delivered') and '' or ARGV[4]
redis.call('HSET', KEYS[1], 'webhook_status', status, 'webhook_attempts', ARGV[2],
           'webhook_last_error', error)
if outcome == 'retry' then
  redis.call('ZADD', KEYS[2], now_ms() + tonumber(ARGV[5]), ARGV[1])
else
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return 1
)lua";

// KEYS: job hash. ARGV: file set key prefix, job id, list prefix.
constexpr const char* kEraseLua = R"lua(
local job = redis.call('HMGET', KEYS[1], 'file_key', 'list_entry', 'tenant', 'status',
                       'analysis_type')
if job[1] and job[1] ~= '' then
  redis.call('SREM', ARGV[1] .. job[1], ARGV[2])
end
if job[2] then
  for _, index in ipairs(list_keys(ARGV[3], job[3], job[4], job[5])) do
    redis.call('ZREM', index, job[2])
  end
end
return redis.call('DEL', KEYS[1])
)lua";

// KEYS: list index. ARGV: job key prefix, position ('' for the newest), limit. Returns
// {next position or '', HGETALL of each job, newest first}: walks the index down from the
// position, dropping entries whose hash expired, until limit + 1 live jobs are found (the
// extra one only tells whether a next page exists).
constexpr const char* kListLua = R"lua(
local limit = tonumber(ARGV[3])
local from = '+'
if ARGV[2] ~= '' then from = '(' .. ARGV[2] end
local jobs, entries = {}, {}
while #jobs <= limit do
  local batch = redis.call('ZREVRANGEBYLEX', KEYS[1], from, '-', 'LIMIT', 0, limit + 1 - #jobs)
  if #batch == 0 then break end
  for _, entry in ipairs(batch) do
    from = '(' .. entry
    local fields = redis.call('HGETALL', ARGV[1] .. string.sub(entry, 18))
    if #fields == 0 then
      redis.call('ZREM', KEYS[1], entry)
    else
      table.insert(jobs, fields)
      table.insert(entries, entry)
    end
  end
end
local next = ''
if #jobs > limit then
  jobs[#jobs] = nil
  next = entries[limit]
end
return {next, unpack(jobs)}
)lua";

// KEYS: file set. ARGV: job key prefix, file key. Returns 1 when a live job refers to it.
constexpr const char* kFileInUseLua = R"lua(
local in_use = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local job = redis.call('HMGET', ARGV[1] .. id, 'status', 'file_key')
  if job[1] and not is_final(job[1]) and job[2] == ARGV[2] then
    in_use = 1
  else
    redis.call('SREM', KEYS[1], id)
  end
end
return in_use
)lua";

// A Lua script sent by EVALSHA, and by EVAL when the server does not know it yet (first use,
// or after a restart emptied its script cache).
class LuaScript {
public:
    explicit LuaScript(std::string source) : source_(std::move(source)), sha1_(sha1_hex(source_)) {}

    RedisType::Ptr run(RedisConnection& redis, const std::vector<std::string>& keys,
                       const std::vector<std::string>& args) const {
        try {
            return redis.send(command("EVALSHA", sha1_, keys, args));
        } catch (const RedisErrorReply& error) {
            if (!std::string_view(error.what()).starts_with("NOSCRIPT"))
                throw;
            return redis.send(command("EVAL", source_, keys, args));
        }
    }

private:
    static std::string sha1_hex(const std::string& text) {
        Poco::SHA1Engine engine;
        engine.update(text);
        return Poco::DigestEngine::digestToHex(engine.digest());
    }

    static Array command(const char* verb, const std::string& script,
                         const std::vector<std::string>& keys,
                         const std::vector<std::string>& args) {
        Array command;
        command << verb << script << std::to_string(keys.size()) << keys << args;
        return command;
    }

    std::string source_;
    std::string sha1_;
};

const LuaScript kCreate{std::string(kListKeysLua) + kCreateRecordLua + kCreateLua};
const LuaScript kCreateWithIdempotencyKey{std::string(kListKeysLua) + kCreateRecordLua +
                                          kCreateWithIdempotencyKeyLua};
const LuaScript kCompleteIdempotencyKey{kCompleteIdempotencyKeyLua};
const LuaScript kReleaseIdempotencyKey{kReleaseIdempotencyKeyLua};
const LuaScript kTransition{std::string(kIsFinalLua) + kListKeysLua + kNowMsLua + kTransitionLua};
const LuaScript kErase{std::string(kListKeysLua) + kEraseLua};
const LuaScript kList{kListLua};
const LuaScript kFileInUse{std::string(kIsFinalLua) + kFileInUseLua};
const LuaScript kClaimWebhooks{std::string(kNowMsLua) + kClaimWebhooksLua};
const LuaScript kRecordWebhookAttempt{std::string(kNowMsLua) + kRecordWebhookAttemptLua};

// The reply's value as T; a reply of another type is a protocol surprise (Poco::BadCastException).
template <typename T>
const T& reply_value(const RedisType& reply) {
    const auto* typed = dynamic_cast<const Poco::Redis::Type<T>*>(&reply);
    if (typed == nullptr)
        throw Poco::BadCastException("unexpected Redis reply type");
    return typed->value();
}

// The bulk strings of an array reply (a null or empty array gives none).
std::vector<std::string> strings_of(const Array& array) {
    std::vector<std::string> out;
    if (array.isNull())
        return out;
    for (const auto& element : array) {
        const BulkString& text = reply_value<BulkString>(*element);
        out.push_back(text.isNull() ? std::string() : text.value());
    }
    return out;
}

// The JobRecord members stored as text, by hash field name.
struct TextField {
    const char* name;
    std::string sdk::JobRecord::*member;
};
constexpr TextField kTextFields[] = {
    {"id", &sdk::JobRecord::id},
    {"tenant", &sdk::JobRecord::tenant},
    {"analysis_type", &sdk::JobRecord::analysis_type},
    {"parameters_json", &sdk::JobRecord::parameters_json},
    {"file_json", &sdk::JobRecord::file_json},
    {"file_key", &sdk::JobRecord::file_key},
    {"request_id", &sdk::JobRecord::request_id},
    {"created_at", &sdk::JobRecord::created_at},
    {"updated_at", &sdk::JobRecord::updated_at},
    {"result_json", &sdk::JobRecord::result_json},
    {"error_json", &sdk::JobRecord::error_json},
    {"traceparent", &sdk::JobRecord::traceparent},
    {"tracestate", &sdk::JobRecord::tracestate},
    {"callback_url", &sdk::JobRecord::callback_url},
};

// Field, value, field, value, ... for HSET.
std::vector<std::string> hash_fields(const sdk::JobRecord& record) {
    std::vector<std::string> out;
    for (const auto& field : kTextFields) {
        out.push_back(field.name);
        out.push_back(record.*field.member);
    }
    out.insert(out.end(), {"status", std::string(sdk::to_string(record.status)), "progress",
                           std::to_string(record.progress)});
    if (!record.callback_url.empty()) {
        out.insert(out.end(), {"webhook_status", std::string(sdk::to_string(record.webhook.status)),
                               "webhook_attempts", std::to_string(record.webhook.attempts),
                               "webhook_last_error", record.webhook.last_error});
    }
    return out;
}

// The record from HGETALL's field/value list; nullopt for an empty list (no such key).
// Throws sdk::Error for a hash that is not a job record.
std::optional<sdk::JobRecord> record_from(const std::vector<std::string>& fields) {
    if (fields.empty())
        return std::nullopt;
    sdk::JobRecord record;
    for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
        const std::string& name = fields[i];
        const std::string& value = fields[i + 1];
        if (name == "status") {
            auto status = sdk::parse_job_status(value);
            if (!status)
                throw sdk::Error("redis job record has unknown status '" + value + "'");
            record.status = *status;
        } else if (name == "progress") {
            std::from_chars(value.data(), value.data() + value.size(), record.progress);
        } else if (name == "webhook_status") {
            auto status = sdk::parse_webhook_status(value);
            if (!status)
                throw sdk::Error("redis job record has unknown webhook status '" + value + "'");
            record.webhook.status = *status;
        } else if (name == "webhook_attempts") {
            std::from_chars(value.data(), value.data() + value.size(), record.webhook.attempts);
        } else if (name == "webhook_last_error") {
            record.webhook.last_error = value;
        } else {
            auto field = std::find_if(std::begin(kTextFields), std::end(kTextFields),
                                      [&](const TextField& f) { return name == f.name; });
            if (field != std::end(kTextFields))
                record.*field->member = value;
        }
    }
    return record;
}

// Whether `position` has the shape of a list entry: 16 digits, ':', a job id (1 to 64 of
// [A-Za-z0-9._-]).
bool is_list_position(std::string_view position) {
    constexpr std::size_t kDigits = 16, kMaxIdLength = 64;
    if (position.size() <= kDigits + 1 || position.size() > kDigits + 1 + kMaxIdLength ||
        position[kDigits] != ':')
        return false;
    auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
    auto is_id_char = [&](char c) {
        return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
               c == '.' || c == '_';
    };
    return std::all_of(position.begin(), position.begin() + kDigits, is_digit) &&
           std::all_of(position.begin() + kDigits + 1, position.end(), is_id_char);
}

// The entry of {fingerprint, job id, state}; nullopt for an empty reply or missing fields (no
// such key). Throws sdk::Error for a state it does not know.
std::optional<sdk::IdempotencyEntry> idempotency_entry_from(
    const std::vector<std::string>& fields) {
    if (fields.size() != 3 || fields[0].empty())
        return std::nullopt;
    using State = sdk::IdempotencyEntry::State;
    if (fields[2] != "pending" && fields[2] != "completed")
        throw sdk::Error("redis idempotency key has unknown state '" + fields[2] + "'");
    return sdk::IdempotencyEntry{fields[0], fields[1],
                                 fields[2] == "pending" ? State::pending : State::completed};
}

std::optional<sdk::TransitionOutcome> parse_outcome(const std::string& text) {
    using sdk::TransitionOutcome;
    for (auto [name, outcome] : {std::pair{"applied", TransitionOutcome::applied},
                                 std::pair{"already", TransitionOutcome::already},
                                 std::pair{"refused", TransitionOutcome::refused},
                                 std::pair{"not_found", TransitionOutcome::not_found}}) {
        if (text == name)
            return outcome;
    }
    return std::nullopt;
}

}  // namespace

void RedisJobStore::configure(const sdk::PluginConfig& config, sdk::PluginContext& context) {
    log_ = &context.log;
    const std::string& key_prefix = config.get_string("key_prefix");
    job_key_prefix_ = key_prefix + "job:";
    file_set_prefix_ = key_prefix + "file:";
    list_prefix_ = key_prefix + "list:";
    idempotency_prefix_ = key_prefix + "idempotency:";
    webhook_due_key_ = key_prefix + "webhooks:due";
    ttl_seconds_ = std::to_string(config.get_int("ttl_seconds"));
    PoolSettings settings;
    settings.endpoint = parse_redis_url(config.get_string("url"));
    settings.size = static_cast<std::size_t>(config.get_int("pool_size"));
    settings.timeout = std::chrono::milliseconds(config.get_int("timeout_ms"));
    if (const std::string& sentinels = config.get_string("sentinels"); !sentinels.empty()) {
        settings.sentinels = parse_sentinel_list(sentinels);
        settings.sentinel_master = config.get_string("sentinel_master");
        settings.sentinel_password = config.get_string("sentinel_password");
        if (settings.sentinel_master.empty())
            throw sdk::ConfigError("redis sentinel_master: a master name is needed with sentinels");
    }
    settings.wait_replicas = static_cast<int>(config.get_int("wait_replicas"));
    settings.wait_timeout = std::chrono::milliseconds(config.get_int("wait_timeout_ms"));
    if (settings.wait_replicas > 0 && settings.wait_timeout >= settings.timeout) {
        throw sdk::ConfigError(
            "redis wait_timeout_ms (" + std::to_string(settings.wait_timeout.count()) +
            ") must be below timeout_ms (" + std::to_string(settings.timeout.count()) +
            "), which bounds the wait for WAIT's answer");
    }
    pool_ = std::make_unique<RedisConnectionPool>(std::move(settings));
}

void RedisJobStore::start() {
    sdk::Health health = this->health();
    if (health.ok) {
        log_->write(sdk::LogLevel::info, "redis job store ready: " + health.detail);
    } else {
        log_->write(
            sdk::LogLevel::warning,
            "redis job store starts without Redis, will retry per request: " + health.detail);
    }
}

void RedisJobStore::stop() noexcept {
    pool_->close_idle();
}

sdk::Health RedisJobStore::health() {
    try {
        auto started = std::chrono::steady_clock::now();
        pool_->with_client([](RedisConnection& redis) {
            Array ping;
            ping << "PING";
            redis.send(ping);
        });
        std::chrono::duration<double, std::milli> latency =
            std::chrono::steady_clock::now() - started;
        char latency_text[32];
        std::snprintf(latency_text, sizeof latency_text, "%.2f ms", latency.count());
        return {true, "PONG from " + pool_->target() + " in " + latency_text};
    } catch (const sdk::Unavailable& error) {
        return {false, error.what()};
    }
}

std::vector<sdk::MetricSample> RedisJobStore::metrics() {
    std::vector<sdk::MetricSample> samples{
        {"visiongw_redis_errors_total",
         "Redis job store calls that failed: Redis away, too slow, or answering an error",
         "counter", static_cast<double>(pool_->errors_total())},
        {"visiongw_redis_pool_connections", "Open connections in the Redis job store pool", "gauge",
         static_cast<double>(pool_->open_connections())},
    };
    if (pool_->uses_sentinel()) {
        samples.push_back({"visiongw_redis_master_changes_total",
                           "Times the Redis master named by Sentinel changed (failovers seen)",
                           "counter", static_cast<double>(pool_->master_changes_total())});
    }
    return samples;
}

// The keys of the job hash and, when the record is unfinished and names a file, its file set.
std::vector<std::string> RedisJobStore::record_keys(const sdk::JobRecord& record) const {
    std::vector<std::string> keys{job_key(record.id)};
    if (!record.file_key.empty() && !sdk::is_final(record.status)) {
        keys.push_back(file_set_key(record.file_key));
    }
    return keys;
}

void RedisJobStore::create(const sdk::JobRecord& record) {
    std::vector<std::string> args{ttl_seconds_, record.id, list_prefix_};
    auto fields = hash_fields(record);
    args.insert(args.end(), fields.begin(), fields.end());
    try {
        pool_->with_client([&](RedisConnection& redis) {
            kCreate.run(redis, record_keys(record), args);
            pool_->await_replicas(redis, record.id);
        });
    } catch (const ReplicasBehind&) {
        undo_create(record.id, nullptr);
        throw;
    }
}

// Erases what a create wrote after too few replicas acknowledged it, so the submit's 503
// leaves no job behind (the caller rolls back only what it wrote itself). Best effort: a
// failure here leaves the record to its TTL.
void RedisJobStore::undo_create(const std::string& id, const sdk::IdempotencyKey* key) noexcept {
    try {
        if (key != nullptr)
            release_idempotency_key(*key, id);
        erase(id);
    } catch (const std::exception& error) {
        log_->write(sdk::LogLevel::warning, "redis job store: job " + id +
                                                " stays until its TTL, undoing its create "
                                                "failed: " +
                                                error.what());
    }
}

std::optional<sdk::IdempotencyEntry> RedisJobStore::find_idempotency_key(
    const sdk::IdempotencyKey& key) {
    Array command;
    command << "HMGET" << idempotency_key(key) << "fingerprint"
            << "job_id"
            << "state";
    return idempotency_entry_from(pool_->with_client([&](RedisConnection& redis) {
        return strings_of(reply_value<Array>(*redis.send(command)));
    }));
}

std::optional<sdk::IdempotencyEntry> RedisJobStore::create_with_idempotency_key(
    const sdk::JobRecord& record, const sdk::IdempotencyKey& key,
    std::chrono::seconds pending_ttl) {
    std::vector<std::string> keys{idempotency_key(key)};
    for (std::string& record_key : record_keys(record))
        keys.push_back(std::move(record_key));
    std::vector<std::string> args{ttl_seconds_, record.id, list_prefix_, key.fingerprint,
                                  std::to_string(pending_ttl.count())};
    auto fields = hash_fields(record);
    args.insert(args.end(), fields.begin(), fields.end());
    try {
        return idempotency_entry_from(pool_->with_client([&](RedisConnection& redis) {
            auto taken =
                strings_of(reply_value<Array>(*kCreateWithIdempotencyKey.run(redis, keys, args)));
            if (taken.empty())  // it created the job
                pool_->await_replicas(redis, record.id);
            return taken;
        }));
    } catch (const ReplicasBehind&) {
        undo_create(record.id, &key);
        throw;
    }
}

void RedisJobStore::complete_idempotency_key(const sdk::IdempotencyKey& key,
                                             std::string_view job_id, std::chrono::seconds ttl) {
    std::vector<std::string> args{std::string(job_id), std::to_string(ttl.count())};
    pool_->with_client([&](RedisConnection& redis) {
        kCompleteIdempotencyKey.run(redis, {idempotency_key(key)}, args);
    });
}

void RedisJobStore::release_idempotency_key(const sdk::IdempotencyKey& key,
                                            std::string_view job_id) {
    std::vector<std::string> args{std::string(job_id)};
    pool_->with_client([&](RedisConnection& redis) {
        kReleaseIdempotencyKey.run(redis, {idempotency_key(key)}, args);
    });
}

std::optional<sdk::JobRecord> RedisJobStore::get(std::string_view id) {
    Array command;
    command << "HGETALL" << job_key(id);
    auto fields = pool_->with_client([&](RedisConnection& redis) {
        return strings_of(reply_value<Array>(*redis.send(command)));
    });
    return record_from(fields);
}

sdk::TransitionResult RedisJobStore::transition(std::string_view id, const sdk::JobChange& change) {
    std::string progress =
        change.progress ? std::to_string(std::clamp(*change.progress, 0, 100)) : std::string();
    std::vector<std::string> args{std::string(sdk::to_string(change.status)),
                                  progress,
                                  change.result_json,
                                  change.error_json,
                                  change.updated_at,
                                  ttl_seconds_,
                                  file_set_prefix_,
                                  std::string(id),
                                  list_prefix_};
    auto [outcome, fields] = pool_->with_client([&](RedisConnection& redis) {
        RedisType::Ptr answer = kTransition.run(redis, {job_key(id), webhook_due_key_}, args);
        const auto& reply = reply_value<Array>(*answer);
        std::vector<std::string> fields;
        if (reply.size() > 1)
            fields = strings_of(reply.get<Array>(1));
        std::string outcome = reply.get<BulkString>(0).value();
        if (outcome == "applied")
            pool_->await_replicas(redis, id, " change");
        return std::pair{std::move(outcome), std::move(fields)};
    });
    auto parsed = parse_outcome(outcome);
    if (!parsed)
        throw sdk::Error("redis transition script answered '" + outcome + "'");
    return {*parsed, record_from(fields)};
}

void RedisJobStore::erase(std::string_view id) {
    std::vector<std::string> args{file_set_prefix_, std::string(id), list_prefix_};
    pool_->with_client([&](RedisConnection& redis) { kErase.run(redis, {job_key(id)}, args); });
}

sdk::JobPage RedisJobStore::list(const sdk::JobQuery& query) {
    if (!query.after.empty() && !is_list_position(query.after))
        throw sdk::InvalidCursor("not a position of the redis job store's listing");
    const std::string status =
        query.status ? std::string(sdk::to_string(*query.status)) : std::string("*");
    const std::string type = query.analysis_type.empty() ? std::string("*") : query.analysis_type;
    const std::string index = list_prefix_ + std::to_string(query.tenant.size()) + ":" +
                              query.tenant + ":" + status + ":" + type;
    std::vector<std::string> args{job_key_prefix_, query.after,
                                  std::to_string(std::max<std::size_t>(query.limit, 1))};
    return pool_->with_client([&](RedisConnection& redis) {
        RedisType::Ptr answer = kList.run(redis, {index}, args);
        const auto& reply = reply_value<Array>(*answer);
        sdk::JobPage page;
        page.next = reply.get<BulkString>(0).value();
        for (std::size_t i = 1; i < reply.size(); ++i) {
            if (auto record = record_from(strings_of(reply.get<Array>(i))))
                page.jobs.push_back(std::move(*record));
        }
        return page;
    });
}

bool RedisJobStore::file_in_use(std::string_view file_key) {
    std::vector<std::string> args{job_key_prefix_, std::string(file_key)};
    return pool_->with_client([&](RedisConnection& redis) {
        return reply_value<Poco::Int64>(*kFileInUse.run(redis, {file_set_key(file_key)}, args)) !=
               0;
    });
}

std::vector<sdk::JobRecord> RedisJobStore::claim_due_webhooks(std::chrono::milliseconds lease,
                                                              std::size_t limit) {
    std::vector<std::string> args{job_key_prefix_, std::to_string(lease.count()),
                                  std::to_string(limit)};
    return pool_->with_client([&](RedisConnection& redis) {
        RedisType::Ptr answer = kClaimWebhooks.run(redis, {webhook_due_key_}, args);
        const auto& reply = reply_value<Array>(*answer);
        std::vector<sdk::JobRecord> claimed;
        for (std::size_t i = 0; !reply.isNull() && i < reply.size(); ++i) {
            if (auto record = record_from(strings_of(reply.get<Array>(i))))
                claimed.push_back(std::move(*record));
        }
        return claimed;
    });
}

bool RedisJobStore::record_webhook_attempt(std::string_view job_id,
                                           const sdk::WebhookAttempt& attempt) {
    const char* outcome = attempt.delivered     ? "delivered"
                          : attempt.retry_after ? "retry"
                                                : "failed";
    std::vector<std::string> args{
        std::string(job_id), std::to_string(attempt.attempt), outcome, attempt.error,
        std::to_string(attempt.retry_after ? attempt.retry_after->count() : 0)};
    return pool_->with_client([&](RedisConnection& redis) {
        return reply_value<Poco::Int64>(*kRecordWebhookAttempt.run(
                   redis, {job_key(job_id), webhook_due_key_}, args)) != 0;
    });
}

std::string RedisJobStore::job_key(std::string_view id) const {
    return job_key_prefix_ + std::string(id);
}

std::string RedisJobStore::file_set_key(std::string_view file_key) const {
    return file_set_prefix_ + std::string(file_key);
}

std::string RedisJobStore::idempotency_key(const sdk::IdempotencyKey& key) const {
    // The tenant's length keeps tenant "a:b" with key "c" apart from tenant "a" with key "b:c".
    return idempotency_prefix_ + std::to_string(key.tenant.size()) + ":" + key.tenant + ":" +
           key.key;
}

}  // namespace visiongw::redis
