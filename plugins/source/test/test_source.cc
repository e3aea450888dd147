#include "plugins/source/test/test_source.h"

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>

#include "plugins/source/test/inventory.h"
#include "quarry/base/time.h"
#include "quarry/plugin/spec_reader.h"
#include "quarry/scheduler/scheduler.h"

namespace quarry::plugins {
namespace {

using scheduler::ResolveContext;
using scheduler::RowWriter;
using types::ArrayBuilder;

struct Options {
  int64_t num_clients = 1;
  int64_t num_rows = 1;
  int64_t num_sub_rows = 10;
  int64_t num_sub_cols = 1;
  bool fail_immediately = false;
  std::vector<std::string> required_env;
  uint64_t seed = 1;
  int64_t concurrency = 8;
  int64_t num_events = 100;
  int64_t new_events_per_run = 10;
};

// Events per Insert-and-checkpoint chunk of test_events.
constexpr int64_t kEventChunk = 1000;

using inventory::PutDec;
using inventory::PutHex;
using inventory::PutStr;
using inventory::Rand;

schema::Column Col(std::string name, types::TypePtr type, std::string description = "") {
  return {std::move(name), std::move(type), std::move(description)};
}
schema::Column Pk(std::string name, types::TypePtr type, std::string description = "") {
  schema::Column c{std::move(name), std::move(type), std::move(description)};
  c.primary_key = true;
  c.not_null = true;
  return c;
}

class TestSource : public plugin::SourcePlugin {
 public:
  Status Configure(const nlohmann::json& spec) override {
    plugin::SpecReader r(spec);
    o_.num_clients = r.Int("num_clients", 1, 1, 1'000'000);
    o_.num_rows = r.Int("num_rows", 1, 0);
    o_.num_sub_rows = r.Int("num_sub_rows", 10, 0);
    o_.num_sub_cols = r.Int("num_sub_cols", 1, 0, 1000);
    o_.fail_immediately = r.Bool("fail_immediately", false);
    o_.required_env = r.StringList("required_env");
    o_.seed = static_cast<uint64_t>(r.Int("seed", 1, 0));
    o_.concurrency = r.Int("concurrency", 8, 1, 10'000);
    o_.num_events = r.Int("num_events", 100, 0);
    o_.new_events_per_run = r.Int("new_events_per_run", 10, 0);
    QUARRY_RETURN_NOT_OK(r.Finish());
    for (const auto& kv : o_.required_env) {
      if (kv.find('=') == std::string::npos) {
        return Status::Invalid(
            fmt::format("spec.required_env: \"{}\" is not of the form KEY=VALUE", kv));
      }
    }
    return Status::OK();
  }

  Result<std::vector<schema::TablePtr>> Tables() const override {
    schema::Table sub{"test_sub_table", "Test Sub Table",
                      "Rows of test_some_table's children: num_sub_rows per parent row."};
    sub.columns = {Pk("parent_resource_id", types::int64(), "resource_id of the parent row"),
                   Pk("sub_resource_id", types::int64()), Col("data_column", types::utf8())};
    for (int64_t i = 0; i < o_.num_sub_cols; ++i) {
      sub.columns.push_back(Col(fmt::format("extra_column_{}", i), types::int64()));
    }
    schema::Table some{"test_some_table", "Test Some Table",
                       "num_rows rows per client, each with num_sub_rows rows in test_sub_table."};
    some.columns = {Pk("resource_id", types::int64()), Pk("client_id", types::int64()),
                    Col("column2", types::utf8())};
    some.relations.push_back(std::make_shared<const schema::Table>(std::move(sub)));

    schema::Table data{"test_testdata_table", "Test Testdata Table",
                       "One row per client with a column of every supported type."};
    data.columns = {
        Pk("client_id", types::int64()),
        Col("bool", types::boolean()),
        Col("int8", types::int8()),
        Col("int16", types::int16()),
        Col("int32", types::int32()),
        Col("int64", types::int64()),
        Col("uint8", types::uint8()),
        Col("uint16", types::uint16()),
        Col("uint32", types::uint32()),
        Col("uint64", types::uint64()),
        Col("float32", types::float32()),
        Col("float64", types::float64()),
        Col("utf8", types::utf8()),
        Col("binary", types::binary()),
        Col("timestamp", types::timestamp()),
        Col("date32", types::date32()),
        Col("uuid", types::uuid()),
        Col("json", types::json()),
        Col("inet", types::inet()),
        Col("mac", types::mac()),
        Col("int64_list", types::list(types::int64())),
        Col("utf8_list", types::list(types::utf8())),
        Col("null_utf8", types::utf8(), "Always null"),
    };

    schema::Table inv{"test_inventory", "Test Inventory",
                      "num_rows cloud resources per client, shaped like a cloud inventory "
                      "(for benchmarks)."};
    inv.columns = {
        Pk("id", types::utf8(), "Resource id"),
        Col("account_id", types::utf8()),
        Col("region", types::utf8()),
        Col("arn", types::utf8()),
        Col("name", types::utf8()),
        Col("resource_type", types::utf8()),
        Col("state", types::utf8()),
        Col("created_at", types::timestamp()),
        Col("updated_at", types::timestamp()),
        Col("tags", types::json()),
        Col("public", types::boolean()),
        Col("encrypted", types::boolean()),
        Col("size_bytes", types::int64()),
        Col("monthly_cost", types::float64()),
    };

    schema::Table events{"test_events", "Test Events",
                         "An event log that keeps growing: num_events events per client at "
                         "first, new_events_per_run more at each later sync. Incremental by seq."};
    schema::Column seq = Pk("seq", types::int64(), "Sequence number within the client's log");
    seq.incremental_key = true;
    events.columns = {seq, Pk("client_id", types::int64()), Col("kind", types::utf8()),
                      Col("payload", types::json()), Col("created_at", types::timestamp())};
    events.is_incremental = true;

    std::vector<schema::TablePtr> out;
    for (auto* t : {&some, &data, &inv, &events}) {
      QUARRY_ASSIGN_OR_RETURN(schema::TablePtr f, schema::Finalize(std::move(*t)));
      out.push_back(std::move(f));
    }
    return out;
  }

  Status Init(const plugin::PluginContext& ctx) override {
    for (const auto& kv : o_.required_env) {
      const auto eq = kv.find('=');
      const std::string key = kv.substr(0, eq), want = kv.substr(eq + 1);
      const char* got = std::getenv(key.c_str());
      if (got == nullptr || want != got) {
        return Status::Invalid(
            fmt::format("required environment variable {} is {} (want \"{}\")", key,
                        got == nullptr ? "not set" : fmt::format("\"{}\"", got), want));
      }
    }
    return Status::OK();
  }

  Status Sync(const plugin::SyncRequest& request, plugin::MessageSink& sink) override {
    std::map<std::string, scheduler::Resolver> resolvers;
    const Options o = o_;
    const bool fail = o.fail_immediately;
    auto failing = [](const ResolveContext&, RowWriter&) -> Status {
      return Status::IOError("failing as asked (fail_immediately: true)");
    };
    resolvers["test_some_table"] =
        fail ? scheduler::Resolver(failing)
             : [o](const ResolveContext& ctx, RowWriter& out) { return ResolveSome(o, ctx, out); };
    resolvers["test_sub_table"] =
        fail ? scheduler::Resolver(failing)
             : [o](const ResolveContext& ctx, RowWriter& out) { return ResolveSub(o, ctx, out); };
    resolvers["test_testdata_table"] =
        fail ? scheduler::Resolver(failing) : [o](const ResolveContext& ctx, RowWriter& out) {
          return ResolveTestdata(o, ctx, out);
        };
    resolvers["test_events"] = fail ? scheduler::Resolver(failing)
                                    : [o, &request](const ResolveContext& ctx, RowWriter& out) {
                                        return ResolveEvents(o, request, ctx, out);
                                      };
    resolvers["test_inventory"] =
        fail ? scheduler::Resolver(failing) : [o](const ResolveContext& ctx, RowWriter& out) {
          return ResolveInventory(o, ctx, out);
        };
    scheduler::SchedulerOptions so;
    so.concurrency = static_cast<int>(o.concurrency);
    so.num_clients = static_cast<int>(o.num_clients);
    return scheduler::RunResolvers(request, resolvers, so, sink);
  }

 private:
  static Status ResolveSome(const Options& o, const ResolveContext& ctx, RowWriter& out) {
    char buf[64];
    for (int64_t i = 0; i < o.num_rows; ++i) {
      const int64_t id = ctx.client * o.num_rows + i;
      out.column(0).Append<int64_t>(id);
      out.column(1).Append<int64_t>(ctx.client);
      char* p = PutStr(buf, "value-");
      p = PutHex(p, Rand(o.seed, 1, static_cast<uint64_t>(id)), 12);
      out.column(2).AppendBytes(std::string_view(buf, static_cast<size_t>(p - buf)));
      QUARRY_RETURN_NOT_OK(out.EndRow());
    }
    return Status::OK();
  }

  static Status ResolveSub(const Options& o, const ResolveContext& ctx, RowWriter& out) {
    const int64_t parent = ctx.parent->column("resource_id").Value<int64_t>(ctx.parent->row());
    char buf[64];
    for (int64_t k = 0; k < o.num_sub_rows; ++k) {
      out.column(0).Append<int64_t>(parent);
      out.column(1).Append<int64_t>(k);
      char* p = PutStr(buf, "sub-");
      p = PutHex(p, Rand(o.seed, 2, static_cast<uint64_t>(parent), static_cast<uint64_t>(k)), 12);
      out.column(2).AppendBytes(std::string_view(buf, static_cast<size_t>(p - buf)));
      for (int64_t c = 0; c < o.num_sub_cols; ++c) {
        out.column(3 + static_cast<int>(c))
            .Append<int64_t>(static_cast<int64_t>(
                Rand(o.seed, 3, static_cast<uint64_t>(parent * 1000003 + k), c) % 1'000'000));
      }
      QUARRY_RETURN_NOT_OK(out.EndRow());
    }
    return Status::OK();
  }

  static Status ResolveTestdata(const Options& o, const ResolveContext& ctx, RowWriter& out) {
    const uint64_t r = Rand(o.seed, 4, static_cast<uint64_t>(ctx.client));
    int c = 0;
    out.column(c++).Append<int64_t>(ctx.client);
    out.column(c++).AppendBool(r & 1);
    out.column(c++).Append<int8_t>(-8);
    out.column(c++).Append<int16_t>(-1600);
    out.column(c++).Append<int32_t>(-320000);
    out.column(c++).Append<int64_t>(-6'400'000'000LL);
    out.column(c++).Append<uint8_t>(200);
    out.column(c++).Append<uint16_t>(60000);
    out.column(c++).Append<uint32_t>(4'000'000'000U);
    out.column(c++).Append<uint64_t>(18'000'000'000'000'000'000ULL);
    out.column(c++).Append<float>(1.5f);
    out.column(c++).Append<double>(static_cast<double>(r % 100000) / 100.0);
    out.column(c++).AppendBytes(fmt::format("client {} says héllo", ctx.client));
    out.column(c++).AppendBytes(std::string_view("\x00\x01\xff", 3));
    out.column(c++).Append<int64_t>(1'764'000'000'000'000LL + static_cast<int64_t>(r % 1'000'000));
    out.column(c++).Append<int32_t>(DaysFromCivil(2026, 11, 25));
    uint8_t u[16];
    for (int i = 0; i < 16; ++i) u[i] = static_cast<uint8_t>(Rand(o.seed, 5, ctx.client, i));
    u[6] = (u[6] & 0x0f) | 0x40;
    u[8] = (u[8] & 0x3f) | 0x80;
    out.column(c++).AppendBytes(std::string_view(reinterpret_cast<char*>(u), 16));
    out.column(c++).AppendBytes(
        fmt::format(R"({{"client":{},"tags":["a","b"],"nested":{{"ok":true}}}})", ctx.client));
    out.column(c++).AppendBytes(fmt::format("10.0.{}.{}/32", ctx.client % 256, r % 256));
    out.column(c++).AppendBytes("08:00:2b:01:02:03");
    auto& ints = out.column(c++);
    ints.child().Append<int64_t>(1);
    ints.child().AppendNull();
    ints.child().Append<int64_t>(static_cast<int64_t>(r % 100));
    ints.FinishList();
    auto& strs = out.column(c++);
    strs.child().AppendBytes("x");
    strs.child().AppendBytes("y \"quoted\"");
    strs.FinishList();
    out.column(c++).AppendNull();
    return out.EndRow();
  }

  // The log of client c holds num_events + arrivals × new_events_per_run events, where arrivals
  // counts the earlier syncs of it that completed: each sync finds new events. Two keys:
  // "test_events#<c>" is the cursor (the first seq not yet synced), saved after every chunk;
  // "arrivals#<c>" the count, saved when the log has been read to its end.
  static Status ResolveEvents(const Options& o, const plugin::SyncRequest& request,
                              const ResolveContext& ctx, RowWriter& out) {
    auto saved = [&](const std::string& key, int64_t* value) -> Status {
      auto it = request.state.find(key);
      if (it == request.state.end()) return Status::OK();
      char* end = nullptr;
      *value = std::strtoll(it->second.c_str(), &end, 10);
      if (it->second.empty() || *end != '\0' || *value < 0) {
        return Status::Invalid(
            fmt::format("saved cursor {} is not a count: \"{}\"", key, it->second));
      }
      return Status::OK();
    };
    const std::string cursor_key = fmt::format("test_events#{}", ctx.client);
    const std::string arrivals_key = fmt::format("arrivals#{}", ctx.client);
    int64_t next = 0, arrivals = 0;
    QUARRY_RETURN_NOT_OK(saved(cursor_key, &next));
    QUARRY_RETURN_NOT_OK(saved(arrivals_key, &arrivals));
    const int64_t end = o.num_events + arrivals * o.new_events_per_run;
    char buf[64];
    static constexpr std::string_view kKinds[] = {"create", "update", "delete", "login"};
    while (next < end) {
      const int64_t chunk_end = std::min(end, next + kEventChunk);
      for (int64_t seq = next; seq < chunk_end; ++seq) {
        const uint64_t r =
            Rand(o.seed, 8, static_cast<uint64_t>(ctx.client), static_cast<uint64_t>(seq));
        out.column(0).Append<int64_t>(seq);
        out.column(1).Append<int64_t>(ctx.client);
        out.column(2).AppendBytes(kKinds[r % std::size(kKinds)]);
        char* p = PutStr(buf, R"({"n":)");
        p = PutDec(p, r % 100000);
        p = PutStr(p, "}");
        out.column(3).AppendBytes(std::string_view(buf, static_cast<size_t>(p - buf)));
        out.column(4).Append<int64_t>(1'764'000'000'000'000LL + seq * 1'000'000);
        QUARRY_RETURN_NOT_OK(out.EndRow());
      }
      next = chunk_end;
      QUARRY_RETURN_NOT_OK(out.Checkpoint(cursor_key, std::to_string(next)));
    }
    return out.Checkpoint(arrivals_key, std::to_string(arrivals + 1));
  }

  static Status ResolveInventory(const Options& o, const ResolveContext& ctx, RowWriter& out) {
    char buf[inventory::kRowBuffer];
    inventory::Row row;
    for (int64_t i = 0; i < o.num_rows; ++i) {
      inventory::MakeRow(o.seed, static_cast<uint64_t>(ctx.client * o.num_rows + i), buf, &row);
      out.column(0).AppendBytes(row.id);
      out.column(1).AppendBytes(row.account_id);
      out.column(2).AppendBytes(row.region);
      out.column(3).AppendBytes(row.arn);
      out.column(4).AppendBytes(row.name);
      out.column(5).AppendBytes(row.resource_type);
      out.column(6).AppendBytes(row.state);
      out.column(7).Append<int64_t>(row.created_at);
      out.column(8).Append<int64_t>(row.updated_at);
      out.column(9).AppendBytes(row.tags);
      out.column(10).AppendBool(row.is_public);
      out.column(11).AppendBool(row.encrypted);
      out.column(12).Append<int64_t>(row.size_bytes);
      out.column(13).Append<double>(row.monthly_cost);
      QUARRY_RETURN_NOT_OK(out.EndRow());
    }
    return Status::OK();
  }

  Options o_;
};

}  // namespace

std::unique_ptr<plugin::SourcePlugin> NewTestSource() { return std::make_unique<TestSource>(); }

}  // namespace quarry::plugins
