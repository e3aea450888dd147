#include "quarry/schema/migration.h"

#include <gtest/gtest.h>

namespace quarry::schema {
namespace {

// A destination whose catalog spells types as Quarry does ("int64", "utf8").
std::string TypeOf(const types::DataType& t) { return t.ToString(); }

Column Col(std::string name, types::TypePtr type, bool pk = false, bool not_null = false) {
  Column c{std::move(name), std::move(type)};
  c.primary_key = pk;
  c.not_null = not_null;
  return c;
}

Table Make(std::vector<Column> columns) {
  Table t;
  t.name = "items";
  t.columns = std::move(columns);
  return t;
}

// The table as it stands: id (int64, primary key), name (utf8).
const std::vector<ColumnDef> kHave{{"id", "int64", false, true}, {"name", "utf8", false, false}};

Table Current() { return Make({Col("id", types::int64(), true), Col("name", types::utf8())}); }

// "name type [not null] [key]", one per column.
std::vector<std::string> Show(const std::vector<ColumnDef>& defs) {
  std::vector<std::string> out;
  for (const auto& d : defs) {
    out.push_back(d.name + " " + d.type + (d.not_null ? " not null" : "") +
                  (d.primary_key ? " key" : ""));
  }
  return out;
}

MigrationPlan Plan(const Table& t, const std::optional<std::vector<ColumnDef>>& have,
                   MigrationOptions o = {}) {
  return PlanMigration(t, have, o, TypeOf);
}

TEST(MigrationPlanTest, AbsentTableIsCreatedWithItsKey) {
  const auto plan =
      Plan(Make({Col("id", types::int64(), true), Col("name", types::utf8(), false, true)}),
           std::nullopt);
  EXPECT_EQ(plan.action, MigrationAction::kCreate);
  EXPECT_EQ(Show(plan.columns), (std::vector<std::string>{"id int64 key", "name utf8 not null"}));
  EXPECT_EQ(plan.keys, std::vector<std::string>{"id"});
  EXPECT_EQ(plan.reason, "");
}

TEST(MigrationPlanTest, SameTableNeedsNothingInEitherMode) {
  EXPECT_EQ(Plan(Current(), kHave).action, MigrationAction::kNothing);
  EXPECT_EQ(Plan(Current(), kHave, {.forced = true}).action, MigrationAction::kNothing);
}

TEST(MigrationPlanTest, ColumnNoLongerSyncedIsLeftInPlace) {
  const auto plan = Plan(Make({Col("id", types::int64(), true)}), kHave);
  EXPECT_EQ(plan.action, MigrationAction::kNothing);
}

TEST(MigrationPlanTest, NewNullableColumnIsAddedAndRowsStayEvenWhenForced) {
  const Table wanted = Make({Col("id", types::int64(), true), Col("name", types::utf8()),
                             Col("score", types::float64())});
  for (bool forced : {false, true}) {
    const auto plan = Plan(wanted, kHave, {.forced = forced});
    EXPECT_EQ(plan.action, MigrationAction::kAddColumns) << forced;
    EXPECT_EQ(Show(plan.add), std::vector<std::string>{"score double"}) << forced;
  }
}

TEST(MigrationPlanTest, NewNotNullColumnIsRefusedWhenSafeAndRebuiltWhenForced) {
  const Table wanted = Make({Col("id", types::int64(), true), Col("name", types::utf8()),
                             Col("region", types::utf8(), false, true)});
  const auto safe = Plan(wanted, kHave);
  EXPECT_EQ(safe.action, MigrationAction::kRefuse);
  EXPECT_EQ(safe.reason,
            "table items: safe migration refused (use migrate_mode: forced): add not-null or "
            "primary-key column region (utf8)");
  const auto forced = Plan(wanted, kHave, {.forced = true});
  EXPECT_EQ(forced.action, MigrationAction::kRebuild);
  EXPECT_EQ(forced.reason, "add not-null or primary-key column region (utf8)");
  EXPECT_EQ(Show(forced.columns),
            (std::vector<std::string>{"id int64 key", "name utf8", "region utf8 not null"}));
  EXPECT_EQ(forced.keys, std::vector<std::string>{"id"});
}

TEST(MigrationPlanTest, TypeChangeIsRefusedWhenSafeAndRebuiltWhenForced) {
  const Table wanted = Make({Col("id", types::int64(), true), Col("name", types::int64())});
  const auto safe = Plan(wanted, kHave);
  EXPECT_EQ(safe.action, MigrationAction::kRefuse);
  EXPECT_EQ(safe.reason,
            "table items: safe migration refused (use migrate_mode: forced): change type of "
            "column name: utf8 -> int64");
  EXPECT_EQ(Plan(wanted, kHave, {.forced = true}).action, MigrationAction::kRebuild);
}

TEST(MigrationPlanTest, KeyChangeIsRefusedWhenSafeAndRebuiltWhenForced) {
  // The reasons list every change that needs the rebuild, but not the columns left in place.
  const Table wanted = Make({Col("id", types::int64(), true), Col("name", types::utf8(), true),
                             Col("note", types::utf8())});
  const std::vector<ColumnDef> have{
      {"id", "int64", false, true}, {"name", "utf8", false, false}, {"old", "utf8", false, false}};
  const auto safe = Plan(wanted, have);
  EXPECT_EQ(safe.action, MigrationAction::kRefuse);
  EXPECT_EQ(safe.reason,
            "table items: safe migration refused (use migrate_mode: forced): add column note "
            "(utf8); change primary key (id) -> (id, name)");
  const auto forced = Plan(wanted, have, {.forced = true});
  EXPECT_EQ(forced.action, MigrationAction::kRebuild);
  EXPECT_EQ(forced.keys, (std::vector<std::string>{"id", "name"}));
}

TEST(MigrationPlanTest, NotNullColumnNoLongerSyncedIsRefused) {
  const std::vector<ColumnDef> have{{"id", "int64", false, true}, {"name", "utf8", true, false}};
  const auto plan = Plan(Make({Col("id", types::int64(), true)}), have);
  EXPECT_EQ(plan.action, MigrationAction::kRefuse);
  EXPECT_EQ(plan.reason,
            "table items: safe migration refused (use migrate_mode: forced): column name is NOT "
            "NULL but no longer synced (inserts would fail)");
}

TEST(MigrationPlanTest, SwitchingToAppendDropsTheKeyWhichNeedsARebuild) {
  const auto safe = Plan(Current(), kHave, {.keys = false});
  EXPECT_EQ(safe.action, MigrationAction::kRefuse);
  EXPECT_EQ(safe.reason,
            "table items: safe migration refused (use migrate_mode: forced): change primary key "
            "(id) -> ()");
  const auto forced = Plan(Current(), kHave, {.forced = true, .keys = false});
  EXPECT_EQ(forced.action, MigrationAction::kRebuild);
  EXPECT_TRUE(forced.keys.empty());
  EXPECT_EQ(Show(forced.columns), (std::vector<std::string>{"id int64", "name utf8"}));
}

TEST(MigrationPlanTest, NamesDifferingInCaseMatchOnlyWhereTheDestinationIgnoresCase) {
  const std::vector<ColumnDef> have{{"ID", "int64", false, true}, {"Name", "utf8", false, false}};
  EXPECT_EQ(Plan(Current(), have, {.names_ignore_case = true}).action, MigrationAction::kNothing);
  const auto exact = Plan(Current(), have);
  EXPECT_EQ(exact.action, MigrationAction::kRefuse);
  EXPECT_NE(exact.reason.find("add not-null or primary-key column id (int64)"), std::string::npos)
      << exact.reason;
}

TEST(MigrationPlanTest, TypeNamesCompareWithoutRegardToCase) {
  const std::vector<ColumnDef> have{{"id", "INT64", false, true}, {"name", "UTF8", false, false}};
  EXPECT_EQ(Plan(Current(), have).action, MigrationAction::kNothing);
}

TEST(KeyColumnsTest, DeclaredPrimaryKeysByDefault) {
  const Table t =
      *WithCqColumns(Make({Col("id", types::int64(), true), Col("region", types::utf8(), true),
                           Col("name", types::utf8())}));
  EXPECT_EQ(KeyColumns(t, {}), (std::vector<std::string>{"id", "region"}));
}

TEST(KeyColumnsTest, CqIdAloneUnderCqIdOnly) {
  const Table t = *WithCqColumns(Make({Col("id", types::int64(), true)}));
  EXPECT_EQ(KeyColumns(t, {.cq_id_only = true}), std::vector<std::string>{"_cq_id"});
  const auto plan = Plan(t, std::nullopt, {.cq_id_only = true});
  EXPECT_EQ(plan.keys, std::vector<std::string>{"_cq_id"});
  // id stays a column, no longer a key.
  EXPECT_EQ(Show(plan.columns).back(), "id int64");
}

TEST(KeyColumnsTest, CqIdOnlyKeepsDeclaredKeysOfATableWithoutCqId) {
  EXPECT_EQ(KeyColumns(Current(), {.cq_id_only = true}), std::vector<std::string>{"id"});
}

TEST(KeyColumnsTest, NoKeysInAppendMode) {
  const Table t = *WithCqColumns(Make({Col("id", types::int64(), true)}));
  EXPECT_TRUE(KeyColumns(t, {.keys = false}).empty());
  EXPECT_TRUE(KeyColumns(t, {.keys = false, .cq_id_only = true}).empty());
  const auto plan = Plan(t, std::nullopt, {.keys = false});
  for (const auto& c : plan.columns) EXPECT_FALSE(c.primary_key) << c.name;
  // _cq_id stays NOT NULL without being a key.
  EXPECT_EQ(Show(plan.columns)[2], "_cq_id uuid not null");
}

TEST(RefusedMigrationsTest, OneLinePerRefusedTable) {
  EXPECT_TRUE(RefusedMigrations({}).ok());
  const Status st = RefusedMigrations({"table a: refused", "table b: refused"});
  EXPECT_TRUE(st.IsInvalid());
  EXPECT_EQ(st.message(), "table a: refused\ntable b: refused");
}

}  // namespace
}  // namespace quarry::schema
