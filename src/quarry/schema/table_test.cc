#include "quarry/schema/table.h"

#include <gtest/gtest.h>

namespace quarry::schema {
namespace {

std::vector<TablePtr> Tree() {
  Table child{"parent_child", "", "", {{"v", types::int64()}}};
  Table grandchild{"parent_child_leaf", "", "", {{"w", types::int64()}}};
  child.relations.push_back(std::make_shared<const Table>(grandchild));
  Table parent{"parent", "", "", {{"id", types::int64(), "", true}}};
  parent.relations.push_back(std::make_shared<const Table>(child));
  Table other{"other", "", "", {{"x", types::utf8()}}};
  return {*Finalize(parent), *Finalize(other)};
}

std::string Names(const Result<std::vector<TablePtr>>& r) {
  if (!r.ok()) return "error: " + r.status().message();
  std::string s;
  for (const auto& t : Flatten(*r)) s += (s.empty() ? "" : ",") + t->name;
  return s;
}

TEST(SelectTablesTest, ChildrenAreSkippedByDefault) {
  EXPECT_EQ(Names(SelectTables(Tree(), {{"parent"}, {}, true})), "parent");
}

TEST(SelectTablesTest, ChildrenComeAlongWithoutSkipDependentTables) {
  EXPECT_EQ(Names(SelectTables(Tree(), {{"parent"}, {}, false})),
            "parent,parent_child,parent_child_leaf");
}

TEST(SelectTablesTest, StarSelectsEverything) {
  EXPECT_EQ(Names(SelectTables(Tree(), {{"*"}, {}, true})),
            "parent,parent_child,parent_child_leaf,other");
}

TEST(SelectTablesTest, SelectedChildBringsItsParent) {
  EXPECT_EQ(Names(SelectTables(Tree(), {{"parent_child"}, {}, true})), "parent,parent_child");
}

TEST(SelectTablesTest, SkippingATableSkipsItsChildren) {
  EXPECT_EQ(Names(SelectTables(Tree(), {{"*"}, {"parent"}, true})), "other");
  EXPECT_EQ(Names(SelectTables(Tree(), {{"*"}, {"parent_child"}, true})), "parent,other");
}

TEST(SelectTablesTest, PatternMatchingNothingIsAnError) {
  EXPECT_EQ(Names(SelectTables(Tree(), {{"nope_*"}, {}, true})),
            "error: tables: pattern \"nope_*\" matches no table (tables: parent, parent_child, "
            "parent_child_leaf, other)");
  EXPECT_NE(
      Names(SelectTables(Tree(), {{"*"}, {"zzz"}, true})).find("skip_tables: pattern \"zzz\""),
      std::string::npos);
  EXPECT_NE(Names(SelectTables(Tree(), {{}, {}, true})).find("at least one pattern"),
            std::string::npos);
}

TEST(SelectTablesTest, PatternsAlsoMatchTheQualifiedName) {
  Table orders{"sales_orders", "", "", {{"id", types::int64()}}};
  orders.qualified_name = "sales.orders";
  Table users{"users", "", "", {{"id", types::int64()}}};
  users.qualified_name = "public.users";
  std::vector<TablePtr> tree{*Finalize(orders), *Finalize(users)};
  EXPECT_EQ(Names(SelectTables(tree, {{"sales.*"}, {}, true})), "sales_orders");
  EXPECT_EQ(Names(SelectTables(tree, {{"*"}, {"public.users"}, true})), "sales_orders");
  EXPECT_EQ(Names(SelectTables(tree, {{"sales_orders", "users"}, {}, true})), "sales_orders,users");
}

TEST(TableTest, CqColumnsArePrependedAndCqIdIsKeyWhenTableHasNone) {
  auto tree = Tree();
  TablePtr with = WithCqColumns(*tree[1]);
  ASSERT_EQ(with->columns.size(), 5u);
  EXPECT_EQ(with->columns[0].name, "_cq_source_name");
  EXPECT_EQ(with->columns[1].name, "_cq_sync_time");
  EXPECT_EQ(with->columns[2].name, "_cq_id");
  EXPECT_EQ(with->columns[3].name, "_cq_parent_id");
  EXPECT_EQ(with->PrimaryKeys(), std::vector<std::string>{"_cq_id"});
  EXPECT_EQ(with->arrow_schema->num_fields(), 5);
  EXPECT_FALSE(with->arrow_schema->field(2).nullable);

  TablePtr parent = WithCqColumns(*tree[0]);
  EXPECT_EQ(parent->PrimaryKeys(), std::vector<std::string>{"id"});
  EXPECT_EQ(parent->relations[0]->columns[2].name, "_cq_id");
  EXPECT_EQ(parent->relations[0]->parent, "parent");

  TablePtr cq_only = WithCqColumns(*tree[0], /*cq_id_only=*/true);
  EXPECT_EQ(cq_only->PrimaryKeys(), std::vector<std::string>{"_cq_id"});
}

TEST(TableTest, FinalizeRejectsDuplicateColumns) {
  Table t{"t", "", "", {{"a", types::int64()}, {"a", types::utf8()}}};
  auto r = Finalize(t);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "table t: duplicate column a");
}

TEST(TableTest, FinalizeAcceptsAnyUtf8Name) {
  Table t{"t q \"é\" Ü.x", "", "", {{"Customer Name", types::utf8()}, {"a\"b", types::int64()}}};
  auto r = Finalize(t);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)->arrow_schema->field(1).name, "a\"b");
}

TEST(TableTest, FinalizeRejectsEmptyAndNonUtf8Names) {
  Table t{"", "", "", {{"a", types::int64()}}};
  EXPECT_EQ(Finalize(t).status().message(), "invalid table name \"\": empty");
  t.name = "bad\xff\xc3";
  EXPECT_EQ(Finalize(t).status().message(),
            "invalid table name \"bad\\xff\\xc3\": not valid UTF-8");
  t.name = "t";
  t.columns = {{"c\xed\xa0\x80", types::int64()}};  // a surrogate
  EXPECT_EQ(Finalize(t).status().message(),
            "table t: invalid column name \"c\\xed\\xa0\\x80\": not valid UTF-8");
  t.columns = {{std::string("a\0b", 3), types::int64()}};
  EXPECT_EQ(Finalize(t).status().message().substr(0, 25), "table t: invalid column n");
}

TEST(TableTest, PrintableNameKeepsUtf8AndShowsOtherBytes) {
  EXPECT_EQ(PrintableName("tébl \"q\""), "tébl \"q\"");
  EXPECT_EQ(PrintableName("a\xff\xc3\xa9\xc3"), "a\\xffé\\xc3");
  EXPECT_EQ(NameProblem("tébl"), "");
  EXPECT_EQ(NameProblem("\xc0\xaf"), "not valid UTF-8");  // overlong
}

TEST(TableTest, CqColumnNamesAreKnown) {
  for (const char* n : {"_cq_id", "_cq_parent_id", "_cq_source_name", "_cq_sync_time"}) {
    EXPECT_TRUE(IsCqColumn(n)) << n;
  }
  EXPECT_FALSE(IsCqColumn("_cq_other"));
  EXPECT_FALSE(IsCqColumn("cq_id"));
}

}  // namespace
}  // namespace quarry::schema
