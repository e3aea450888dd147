#include "quarry/scheduler/scheduler.h"

#include <gtest/gtest.h>

#include <mutex>
#include <set>

#include "quarry/base/uuid.h"
#include "quarry/testing/collecting_sink.h"
#include "quarry/testing/status.h"
#include "quarry/types/json.h"

namespace quarry::scheduler {
namespace {

using testing::CollectingSink;

std::vector<schema::TablePtr> Tables() {
  schema::Table child{"child", "", "", {{"parent_id", types::int64()}, {"n", types::int64()}}};
  schema::Table parent{
      "parent", "", "", {{"id", types::int64(), "", true}, {"name", types::utf8()}}};
  parent.relations.push_back(std::make_shared<const schema::Table>(child));
  return {schema::WithCqColumns(**schema::Finalize(parent))};
}

std::map<std::string, Resolver> Resolvers(int rows, int fail_child_for_id = -1) {
  return {
      {"parent",
       [rows](const ResolveContext& ctx, RowWriter& out) -> Status {
         for (int i = 0; i < rows; ++i) {
           out.column(0).Append<int64_t>(ctx.client * 1000 + i);
           out.column(1).AppendBytes("p" + std::to_string(i));
           QUARRY_RETURN_NOT_OK(out.EndRow());
         }
         return Status::OK();
       }},
      {"child",
       [fail_child_for_id](const ResolveContext& ctx, RowWriter& out) -> Status {
         const int64_t pid = ctx.parent->column("id").Value<int64_t>(ctx.parent->row());
         for (int k = 0; k < 3; ++k) {
           out.column(0).Append<int64_t>(pid);
           if (pid == fail_child_for_id && k == 1) return Status::IOError("api said no");
           out.column(1).Append<int64_t>(k);
           QUARRY_RETURN_NOT_OK(out.EndRow());
         }
         return Status::OK();
       }},
  };
}

TEST(SchedulerTest, ResolvesChildrenOncePerParentRowAndLinksThem) {
  CollectingSink sink;
  plugin::SyncRequest req{Tables(), "src", 1'700'000'000'000'000, false};
  SchedulerOptions opts;
  opts.num_clients = 2;
  opts.rows_per_record = 7;  // several records per table
  ASSERT_OK(RunResolvers(req, Resolvers(20), opts, sink));
  // Migrations come first, parents before children.
  ASSERT_TRUE(std::holds_alternative<message::MigrateTable>(sink.messages()[0]));
  EXPECT_EQ(std::get<message::MigrateTable>(sink.messages()[0]).table->name, "parent");
  EXPECT_EQ(std::get<message::MigrateTable>(sink.messages()[1]).table->name, "child");
  EXPECT_EQ(sink.NumRows("parent"), 40);
  EXPECT_EQ(sink.NumRows("child"), 120);

  std::map<std::string, int64_t> parent_ids;  // _cq_id -> id
  for (auto& b : sink.Batches("parent")) {
    EXPECT_LE(b->num_rows(), 7);
    for (int64_t r = 0; r < b->num_rows(); ++r) {
      EXPECT_EQ(b->column(0).GetView(r), "src");
      EXPECT_EQ(b->column(1).Value<int64_t>(r), 1'700'000'000'000'000);
      EXPECT_TRUE(b->column(3).IsNull(r));
      parent_ids[types::ValueToJson(b->column(2), r)] = b->column(4).Value<int64_t>(r);
    }
  }
  EXPECT_EQ(parent_ids.size(), 40u);  // random ids are distinct
  for (auto& b : sink.Batches("child")) {
    for (int64_t r = 0; r < b->num_rows(); ++r) {
      auto it = parent_ids.find(types::ValueToJson(b->column(3), r));
      ASSERT_NE(it, parent_ids.end());
      EXPECT_EQ(it->second, b->column(4).Value<int64_t>(r));
    }
  }
}

TEST(SchedulerTest, ResolverErrorBecomesTableErrorAndKeepsCompleteRows) {
  CollectingSink sink;
  plugin::SyncRequest req{Tables(), "src", 1, false};
  ASSERT_OK(RunResolvers(req, Resolvers(5, /*fail_child_for_id=*/3), {}, sink));
  EXPECT_EQ(sink.NumRows("parent"), 5);
  // Parent 3 got one complete child row before the failure; the half row was dropped.
  EXPECT_EQ(sink.NumRows("child"), 4 * 3 + 1);
  int errors = 0;
  for (const auto& m : sink.messages()) {
    if (auto* e = std::get_if<message::TableError>(&m)) {
      ++errors;
      EXPECT_EQ(e->table_name, "child");
      EXPECT_EQ(e->error, "parent row 3: api said no");
    }
  }
  EXPECT_EQ(errors, 1);
}

TEST(SchedulerTest, DeterministicIdsHashThePrimaryKey) {
  CollectingSink a, b;
  plugin::SyncRequest req{Tables(), "src", 1, true};
  ASSERT_OK(RunResolvers(req, Resolvers(10), {}, a));
  ASSERT_OK(RunResolvers(req, Resolvers(10), {}, b));
  auto ids = [](CollectingSink& s) {
    std::vector<std::string> v;
    for (auto& batch : s.Batches("parent")) {
      for (int64_t r = 0; r < batch->num_rows(); ++r)
        v.push_back(types::ValueToJson(batch->column(2), r));
    }
    return v;
  };
  const auto first = ids(a);
  EXPECT_EQ(first, ids(b));
  EXPECT_EQ(std::set<std::string>(first.begin(), first.end()).size(), 10u);
}

TEST(SchedulerTest, CheckpointComesAfterTheRowsItCoversAndTheirChildren) {
  CollectingSink sink;
  plugin::SyncRequest req{Tables(), "src", 1, false};
  std::map<std::string, Resolver> resolvers = Resolvers(0);
  resolvers["parent"] = [](const ResolveContext&, RowWriter& out) -> Status {
    for (int chunk = 0; chunk < 2; ++chunk) {
      for (int i = 0; i < 3; ++i) {
        out.column(0).Append<int64_t>(chunk * 3 + i);
        out.column(1).AppendBytes("p");
        QUARRY_RETURN_NOT_OK(out.EndRow());
      }
      QUARRY_RETURN_NOT_OK(out.Checkpoint("parent", std::to_string(chunk * 3 + 2)));
    }
    return Status::OK();
  };
  ASSERT_OK(RunResolvers(req, resolvers, {}, sink));
  // Expected order after migrations: parent rows, their children, checkpoint — twice.
  std::vector<std::string> order;
  for (const auto& m : sink.messages()) {
    if (auto* ins = std::get_if<message::Insert>(&m)) {
      order.push_back(ins->table->name + ":" + std::to_string(ins->batch->num_rows()));
    } else if (auto* cp = std::get_if<message::Checkpoint>(&m)) {
      order.push_back("checkpoint " + cp->key + "=" + cp->value);
    }
  }
  EXPECT_EQ(order, (std::vector<std::string>{"parent:3", "child:9", "checkpoint parent=2",
                                             "parent:3", "child:9", "checkpoint parent=5"}));
}

TEST(SchedulerTest, MissingColumnValueIsReported) {
  CollectingSink sink;
  plugin::SyncRequest req{Tables(), "src", 1, false};
  std::map<std::string, Resolver> resolvers = Resolvers(1);
  resolvers["parent"] = [](const ResolveContext&, RowWriter& out) -> Status {
    out.column(0).Append<int64_t>(1);
    return out.EndRow();
  };
  ASSERT_OK(RunResolvers(req, resolvers, {}, sink));
  bool found = false;
  for (const auto& m : sink.messages()) {
    if (auto* e = std::get_if<message::TableError>(&m)) {
      found = true;
      EXPECT_EQ(e->error, "resolver gave column name 0 values for row 0");
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(sink.NumRows("parent"), 0);
}

TEST(SchedulerTest, RecordsEndAtTheByteLimitWhateverTheRowSize) {
  // 1 MiB rows: a record may not hold 1,024 of them (1 GiB) — memory between source and
  // destination is bounded by bytes, not only rows.
  schema::Table big{"big", "", "", {{"id", types::int64()}, {"blob", types::utf8()}}};
  std::vector<schema::TablePtr> tables{schema::WithCqColumns(**schema::Finalize(big))};
  const std::string value(1 << 20, 'x');
  std::map<std::string, Resolver> resolvers{
      {"big", [&](const ResolveContext&, RowWriter& out) -> Status {
         for (int i = 0; i < 37; ++i) {
           out.column(0).Append<int64_t>(i);
           out.column(1).AppendBytes(i == 20 ? std::string(9 << 20, 'y') : value);
           QUARRY_RETURN_NOT_OK(out.EndRow());
         }
         return Status::OK();
       }}};
  CollectingSink sink;
  plugin::SyncRequest req{tables, "src", 1'700'000'000'000'000, false};
  SchedulerOptions opts;
  opts.bytes_per_record = 3 << 20;
  ASSERT_OK(RunResolvers(req, resolvers, opts, sink));
  EXPECT_EQ(sink.NumRows("big"), 37);
  for (const auto& b : sink.Batches("big")) {
    // Whole rows: a record ends at the first row that reaches the limit (the 9 MiB row alone).
    EXPECT_LE(b->num_rows(), 3);
    EXPECT_LT(b->size_bytes(), (3 << 20) + (9 << 20) + (1 << 20)) << b->num_rows();
  }
}

}  // namespace
}  // namespace quarry::scheduler
