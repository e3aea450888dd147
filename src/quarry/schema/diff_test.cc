#include "quarry/schema/diff.h"

#include <gtest/gtest.h>

namespace quarry::schema {
namespace {

std::vector<std::string> Describe(const std::vector<TableChange>& changes) {
  std::vector<std::string> out;
  for (const auto& c : changes) out.push_back(Describe(c) + (IsSafe(c) ? " [safe]" : ""));
  return out;
}

TEST(DiffTest, NewNullableColumnIsSafe) {
  auto changes = DiffColumns({{"id", "integer", true, true}},
                             {{"id", "integer", true, true}, {"name", "text"}});
  EXPECT_EQ(Describe(changes), std::vector<std::string>{"add column name (text) [safe]"});
}

TEST(DiffTest, LossyChangesAreNotSafe) {
  auto changes =
      DiffColumns({{"id", "integer", true, true}, {"n", "integer"}, {"old", "text"}},
                  {{"id", "text", true, true}, {"k", "text", true, false}, {"n", "INTEGER"}});
  EXPECT_EQ(Describe(changes), (std::vector<std::string>{
                                   "change type of column id: integer -> text",
                                   "add not-null or primary-key column k (text)",
                                   "column old is no longer synced (left in place) [safe]",
                               }));
}

TEST(DiffTest, DroppingANotNullColumnIsNotSafe) {
  auto changes = DiffColumns({{"id", "integer", true, true}, {"req", "text", true, false}},
                             {{"id", "integer", true, true}});
  EXPECT_EQ(
      Describe(changes),
      std::vector<std::string>{"column req is NOT NULL but no longer synced (inserts would fail)"});
}

TEST(DiffTest, PrimaryKeyChangeIsReported) {
  auto changes = DiffColumns({{"a", "integer", true, true}, {"b", "integer"}},
                             {{"a", "integer", true, true}, {"b", "integer", true, true}});
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(Describe(changes[0]), "change primary key (a) -> (a, b)");
  EXPECT_FALSE(IsSafe(changes[0]));
}

TEST(DiffTest, IdenticalTablesNeedNothing) {
  EXPECT_TRUE(DiffColumns({{"a", "integer", true, true}}, {{"a", "INTEGER", true, true}}).empty());
}

}  // namespace
}  // namespace quarry::schema
