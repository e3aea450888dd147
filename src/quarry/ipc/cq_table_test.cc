#include "quarry/ipc/cq_table.h"

#include <gtest/gtest.h>

#include "quarry/ipc/ipc.h"

namespace quarry::ipc {
namespace {

schema::TablePtr Inventory() {
  schema::Table parent;
  parent.name = "aws_instances";
  parent.title = "AWS instances";
  parent.description = "EC2 instances";
  parent.is_incremental = true;
  schema::Column id{"id", types::int64()};
  id.primary_key = true;
  id.not_null = true;
  schema::Column arn{"arn", types::utf8()};
  arn.unique = true;
  schema::Column updated{"updated_at", types::timestamp()};
  updated.incremental_key = true;
  parent.columns = {id, arn, updated};
  schema::Table child;
  child.name = "aws_instance_tags";
  child.columns = {{"key", types::utf8()}, {"value", types::utf8()}};
  parent.relations = {std::make_shared<const schema::Table>(child)};
  auto t = schema::Finalize(parent);
  EXPECT_TRUE(t.ok()) << t.status().message();
  return *t;
}

TEST(CqTableTest, TableRoundTripsThroughItsSchemaStream) {
  auto tree = Inventory();
  auto back = DecodeTable(EncodeTable(*tree));
  ASSERT_TRUE(back.ok()) << back.status().message();
  const schema::Table& t = **back;
  EXPECT_EQ(t.name, "aws_instances");
  EXPECT_EQ(t.title, "AWS instances");
  EXPECT_EQ(t.description, "EC2 instances");
  EXPECT_TRUE(t.is_incremental);
  ASSERT_EQ(t.columns.size(), 3u);
  EXPECT_TRUE(t.columns[0].primary_key);
  EXPECT_TRUE(t.columns[0].not_null);
  EXPECT_FALSE(t.columns[1].primary_key);
  EXPECT_TRUE(t.columns[1].unique);
  EXPECT_TRUE(t.columns[2].incremental_key);
  EXPECT_EQ(t.columns[2].type->ToString(), "timestamp[us, tz=UTC]");
}

TEST(CqTableTest, ChildKeepsItsParentAndTheTreeIsRebuilt) {
  auto tree = Inventory();
  auto child = DecodeTable(EncodeTable(*tree->relations[0]));
  ASSERT_TRUE(child.ok()) << child.status().message();
  EXPECT_EQ((*child)->parent, "aws_instances");
  EXPECT_EQ((*child)->arrow_schema->metadata().at("cq:table_depends_on"), "aws_instances");

  auto parent = DecodeTable(EncodeTable(*tree));
  ASSERT_TRUE(parent.ok());
  // Children may come before their parents in a flat list.
  auto rebuilt = BuildTableTree({*child, *parent});
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().message();
  ASSERT_EQ(rebuilt->size(), 1u);
  EXPECT_EQ((*rebuilt)[0]->name, "aws_instances");
  ASSERT_EQ((*rebuilt)[0]->relations.size(), 1u);
  EXPECT_EQ((*rebuilt)[0]->relations[0]->name, "aws_instance_tags");
  EXPECT_EQ((*rebuilt)[0]->relations[0]->parent, "aws_instances");
}

TEST(CqTableTest, MetadataQuarryDoesNotInterpretIsKept) {
  types::Field tags{"tags", types::json()};
  tags.metadata = {{"cq:extension:type_schema", R"({"k":"utf8"})"},
                   {"cq:extension:primary_key", "false"}};
  types::Schema s({{"id", types::int64()}, tags}, {{"cq:table_name", "t"},
                                                   {"cq:table_paid", "true"},
                                                   {"cq:extension:constraint_name", "t_pk"},
                                                   {"cq:table_sensitive_columns", R"(["tags"])"}});
  auto t = DecodeTable(EncodeSchema(s));
  ASSERT_TRUE(t.ok()) << t.status().message();
  // What goes on to a destination carries it all again (false flags are simply absent).
  auto again = DecodeSchema(EncodeTable(**t));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->metadata(), (types::Metadata{{"cq:table_name", "t"},
                                                   {"cq:table_paid", "true"},
                                                   {"cq:extension:constraint_name", "t_pk"},
                                                   {"cq:table_sensitive_columns", R"(["tags"])"}}));
  EXPECT_EQ((*again)->field(1).metadata,
            (types::Metadata{{"cq:extension:type_schema", R"({"k":"utf8"})"}}));
}

TEST(CqTableTest, SchemaWithoutTableNameIsAnError) {
  types::Schema s({{"id", types::int64()}});
  auto t = DecodeTable(EncodeSchema(s));
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("cq:table_name"), std::string::npos);
}

TEST(CqTableTest, PluginTablesGetOnlyTheMissingBookkeepingColumns) {
  // CloudQuery plugins send _cq_id and _cq_parent_id themselves; the orchestrator adds
  // _cq_source_name and _cq_sync_time.
  schema::Table t;
  t.name = "items";
  schema::Column cq_id{"_cq_id", types::uuid()};
  cq_id.not_null = true;
  cq_id.unique = true;
  t.columns = {cq_id, {"_cq_parent_id", types::uuid()}, {"name", types::utf8()}};
  auto fin = schema::Finalize(t);
  ASSERT_TRUE(fin.ok());
  auto with = schema::WithCqColumns(**fin);
  std::vector<std::string> names;
  for (const auto& c : with->columns) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"_cq_source_name", "_cq_sync_time", "_cq_id",
                                             "_cq_parent_id", "name"}));
  // Without a primary key of its own, the table is keyed by _cq_id.
  EXPECT_EQ(with->PrimaryKeys(), std::vector<std::string>{"_cq_id"});
}

}  // namespace
}  // namespace quarry::ipc
