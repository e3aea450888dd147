// Migrations in depth (what safe mode refuses, what forced mode rebuilds and keeps, a change of
// write mode) and pk_mode, for every destination.
#include <string>
#include <vector>

#include "tests/conformance/conformance_rows.h"
#include "tests/conformance/destination_conformance.h"

namespace quarry::conformance {
namespace {

using plugin::MigrateMode;
using plugin::PkMode;
using plugin::WriteMode;

schema::Column Col(std::string name, types::TypePtr type, bool pk = false, bool not_null = false) {
  schema::Column c{std::move(name), std::move(type)};
  c.primary_key = pk;
  c.not_null = not_null || pk;
  return c;
}

// A table of these columns and the _cq_* columns.
schema::TablePtr Table(const std::string& name, std::vector<schema::Column> columns) {
  schema::Table t{name, "", ""};
  t.columns = std::move(columns);
  return schema::WithCqColumns(**schema::Finalize(t));
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  size_t at = 0;
  for (size_t nl; (nl = s.find('\n', at)) != std::string::npos; at = nl + 1) {
    out.push_back(s.substr(at, nl - at));
  }
  out.push_back(s.substr(at));
  return out;
}

bool Has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST_P(DestinationConformance, CqIdOnlyPkModeUpsertsByCqIdAlone) {
  auto d = Open(WriteMode::kOverwrite, MigrateMode::kSafe, PkMode::kCqIdOnly);
  auto t = SimpleTable("conf_cq_id_only");
  ASSERT_OK(d->Migrate({t}));
  const std::string rows =
      R"([{"id":1,"value":"a","_cq_id":"00000000-0000-4000-8000-000000000001"},
          {"id":1,"value":"b","_cq_id":"00000000-0000-4000-8000-000000000002"}])";
  // Two distinct _cq_ids with the same id: two rows, each upserted once.
  ASSERT_OK(d->Write(*t, {Rows(t, rows)}));
  ASSERT_OK(d->Write(*t, {Rows(t, rows, kSyncTime2)}));
  ASSERT_OK(d->Write(
      *t, {Rows(t, R"([{"id":7,"value":"A","_cq_id":"00000000-0000-4000-8000-000000000001"}])",
                kSyncTime2)}));
  EXPECT_EQ(ReadBack(*d, *t, {"id", "value"}),
            (std::vector<std::string>{R"({"id":1,"value":"b"})", R"({"id":7,"value":"A"})"}));
}

TEST_P(DestinationConformance, SafeMigrationLeavesAColumnNoLongerSyncedInPlaceWithItsData) {
  auto v1 = SimpleTable("conf_left", /*with_extra=*/true);
  auto d = Open();
  ASSERT_OK(d->Migrate({v1}));
  ASSERT_OK(d->Write(*v1, {Rows(v1, R"([{"id":1,"value":"a","extra":10}])")}));
  auto v2 = SimpleTable("conf_left");
  auto d2 = Open();
  ASSERT_OK(d2->Migrate({v2}));
  ASSERT_OK(d2->Write(*v2, {Rows(v2, R"([{"id":2,"value":"b"}])", kSyncTime2)}));
  EXPECT_EQ(ReadBack(*d2, *v1, {"id", "value", "extra"}),
            (std::vector<std::string>{R"({"id":1,"value":"a","extra":10})",
                                      R"({"id":2,"value":"b","extra":null})"}));
}

TEST_P(DestinationConformance, SafeMigrationRefusalListsEveryTableAndAppliesNothingOfTheCall) {
  auto t1 = SimpleTable("conf_refuse_t");
  auto u1 = SimpleTable("conf_refuse_u");
  auto w1 = SimpleTable("conf_refuse_w");
  auto d = Open();
  ASSERT_OK(d->Migrate({t1, u1, w1}));
  ASSERT_OK(d->Write(*t1, {Rows(t1, R"([{"id":1,"value":"a"}])")}));
  auto t2 = Table("conf_refuse_t", {Col("id", types::int64(), true), Col("value", types::int64()),
                                    Col("b", types::utf8(), false, /*not_null=*/true)});
  auto u2 = Table("conf_refuse_u", {Col("id", types::int64(), true), Col("k", types::int64(), true),
                                    Col("value", types::utf8(), false, true)});
  auto w2 = SimpleTable("conf_refuse_w", /*with_extra=*/true);  // safe on its own
  auto n2 = SimpleTable("conf_refuse_new");
  Status st = Open()->Migrate({t2, u2, w2, n2});
  EXPECT_TRUE(st.IsInvalid()) << st.ToString();
  // Type names are the destination's own; the rest reads the same everywhere.
  const auto lines = Lines(st.message());
  ASSERT_EQ(lines.size(), 2u) << st.message();
  const std::string refused = ": safe migration refused (use migrate_mode: forced): ";
  EXPECT_TRUE(
      lines[0].starts_with("table conf_refuse_t" + refused + "change type of column value: "))
      << lines[0];
  EXPECT_TRUE(Has(lines[0], "; add not-null or primary-key column b (")) << lines[0];
  EXPECT_TRUE(lines[1].starts_with("table conf_refuse_u" + refused +
                                   "add not-null or primary-key column k ("))
      << lines[1];
  EXPECT_TRUE(lines[1].ends_with(
      "; column value: nullable -> not null; change primary key (id) -> (id, k)"))
      << lines[1];
  // Nothing of the call was applied: the old tables take the old rows, the new ones do not
  // exist (a write fails), and the rows stay.
  auto after = Open();
  ASSERT_OK(after->Write(*t1, {Rows(t1, R"([{"id":2,"value":"b"}])", kSyncTime2)}));
  ASSERT_OK(after->Write(*u1, {Rows(u1, R"([{"id":1}])", kSyncTime2)}));
  EXPECT_FALSE(after->Write(*w2, {Rows(w2, R"([{"id":1,"extra":1}])", kSyncTime2)}).ok());
  EXPECT_FALSE(after->Write(*n2, {Rows(n2, R"([{"id":1}])", kSyncTime2)}).ok());
  EXPECT_EQ(ReadBack(*after, *t1, {"id", "value"}),
            (std::vector<std::string>{R"({"id":1,"value":"a"})", R"({"id":2,"value":"b"})"}));
}

TEST_P(DestinationConformance, SafeMigrationRefusesToLeaveANotNullColumnBehind) {
  auto v1 = Table("conf_required", {Col("id", types::int64(), true),
                                    Col("req", types::utf8(), false, /*not_null=*/true)});
  ASSERT_OK(Open()->Migrate({v1}));
  auto v2 = Table("conf_required", {Col("id", types::int64(), true)});
  EXPECT_EQ(Open()->Migrate({v2}).message(),
            "table conf_required: safe migration refused (use migrate_mode: forced): column req "
            "is NOT NULL but no longer synced (inserts would fail)");
}

TEST_P(DestinationConformance, ForcedMigrationKeepsTheRowsOfTablesWithOnlySafeChanges) {
  auto rebuilt1 = SimpleTable("conf_forced_lossy");
  auto kept1 = SimpleTable("conf_forced_kept");
  auto d = Open();
  ASSERT_OK(d->Migrate({rebuilt1, kept1}));
  ASSERT_OK(d->Write(*rebuilt1, {Rows(rebuilt1, R"([{"id":1,"value":"a"}])")}));
  ASSERT_OK(d->Write(*kept1, {Rows(kept1, R"([{"id":1,"value":"a"}])")}));
  auto rebuilt2 = SimpleTable("conf_forced_lossy", false, types::int64());
  auto kept2 = SimpleTable("conf_forced_kept", /*with_extra=*/true);
  auto forced = Open(WriteMode::kOverwriteDeleteStale, MigrateMode::kForced);
  ASSERT_OK(forced->Migrate({rebuilt2, kept2}));
  EXPECT_TRUE(ReadBack(*forced, *rebuilt2, {"id"}).empty());
  EXPECT_EQ(ReadBack(*forced, *kept2, {"id", "value", "extra"}),
            std::vector<std::string>{R"({"id":1,"value":"a","extra":null})"});
}

TEST_P(DestinationConformance, SwitchingToAppendModeDropsTheKeyOnlyWhenForced) {
  auto t = SimpleTable("conf_to_append");
  auto d = Open();
  ASSERT_OK(d->Migrate({t}));
  ASSERT_OK(d->Write(*t, {Rows(t, R"([{"id":1,"value":"a"}])")}));
  EXPECT_EQ(Open(WriteMode::kAppend)->Migrate({t}).message(),
            "table conf_to_append: safe migration refused (use migrate_mode: forced): change "
            "primary key (id) -> ()");
  auto append = Open(WriteMode::kAppend, MigrateMode::kForced);
  ASSERT_OK(append->Migrate({t}));
  EXPECT_TRUE(ReadBack(*append, *t, {"id"}).empty());
  // Without the key, the same row twice is two rows.
  ASSERT_OK(append->Write(*t, {Rows(t, R"([{"id":1,"value":"a"}])")}));
  ASSERT_OK(append->Write(*t, {Rows(t, R"([{"id":1,"value":"a"}])")}));
  EXPECT_EQ(ReadBack(*append, *t, {"id", "value"}),
            (std::vector<std::string>{R"({"id":1,"value":"a"})", R"({"id":1,"value":"a"})"}));
}

}  // namespace
}  // namespace quarry::conformance
