#include "quarry/ipc/cq_table.h"

#include <fmt/format.h>

#include <functional>
#include <map>

#include "quarry/ipc/ipc.h"

namespace quarry::ipc {

namespace {

bool IsTrue(const types::Metadata& md, const char* key) {
  auto it = md.find(key);
  return it != md.end() && it->second == "true";
}

std::string Get(const types::Metadata& md, const char* key) {
  auto it = md.find(key);
  return it == md.end() ? std::string() : it->second;
}

}  // namespace

Result<schema::TablePtr> TableFromSchema(const types::Schema& s) {
  const types::Metadata& md = s.metadata();
  schema::Table t;
  t.name = Get(md, "cq:table_name");
  if (t.name.empty()) return Status::Invalid("table schema without cq:table_name");
  t.title = Get(md, "cq:table_title");
  t.description = Get(md, "cq:table_description");
  t.is_incremental = IsTrue(md, "cq:extension:incremental");
  const std::string parent = Get(md, "cq:table_depends_on");
  for (const auto& [k, v] : md) {
    if (k != "cq:table_name" && k != "cq:table_title" && k != "cq:table_description" &&
        k != "cq:table_depends_on" && k != "cq:extension:incremental") {
      t.extra_metadata.emplace(k, v);
    }
  }
  for (const auto& f : s.fields()) {
    schema::Column c;
    c.name = f.name;
    c.type = f.type;
    c.not_null = !f.nullable;
    c.primary_key = IsTrue(f.metadata, "cq:extension:primary_key");
    c.unique = IsTrue(f.metadata, "cq:extension:unique");
    c.incremental_key = IsTrue(f.metadata, "cq:extension:incremental");
    for (const auto& [k, v] : f.metadata) {
      if (k != "cq:extension:primary_key" && k != "cq:extension:unique" &&
          k != "cq:extension:incremental") {
        c.extra_metadata.emplace(k, v);
      }
    }
    t.columns.push_back(std::move(c));
  }
  QUARRY_ASSIGN_OR_RETURN(schema::TablePtr finalized, schema::Finalize(std::move(t)));
  if (parent.empty()) return finalized;
  // Finalize links parents through a tree; a lone table keeps the parent its metadata names.
  schema::Table out = *finalized;
  out.parent = parent;
  out.arrow_schema = schema::ArrowSchemaOf(out);
  return schema::TablePtr(std::make_shared<const schema::Table>(std::move(out)));
}

Result<std::vector<schema::TablePtr>> BuildTableTree(const std::vector<schema::TablePtr>& flat) {
  std::map<std::string, std::vector<const schema::Table*>> children;
  std::map<std::string, const schema::Table*> by_name;
  for (const auto& t : flat) {
    if (!by_name.emplace(t->name, t.get()).second) {
      return Status::Invalid(fmt::format("table {} listed twice", t->name));
    }
  }
  std::vector<const schema::Table*> roots;
  for (const auto& t : flat) {
    if (!t->parent.empty() && by_name.count(t->parent) > 0 && t->parent != t->name) {
      children[t->parent].push_back(t.get());
    } else {
      roots.push_back(t.get());
    }
  }
  int visited = 0;
  std::function<schema::Table(const schema::Table&, int)> build = [&](const schema::Table& t,
                                                                      int depth) -> schema::Table {
    schema::Table copy = t;
    copy.relations.clear();
    ++visited;
    if (depth < 64) {
      for (const auto* c : children[t.name]) {
        copy.relations.push_back(std::make_shared<const schema::Table>(build(*c, depth + 1)));
      }
    }
    return copy;
  };
  std::vector<schema::TablePtr> out;
  for (const auto* r : roots) {
    schema::Table tree = build(*r, 0);
    tree.parent.clear();
    QUARRY_ASSIGN_OR_RETURN(schema::TablePtr fin, schema::Finalize(std::move(tree)));
    out.push_back(std::move(fin));
  }
  if (visited != static_cast<int>(flat.size())) {
    return Status::Invalid("tables name each other as parents in a cycle");
  }
  return out;
}

std::string EncodeTable(const schema::Table& table) { return EncodeSchema(*table.arrow_schema); }

Result<schema::TablePtr> DecodeTable(std::string_view bytes) {
  QUARRY_ASSIGN_OR_RETURN(types::SchemaPtr s, DecodeSchema(bytes));
  return TableFromSchema(*s);
}

}  // namespace quarry::ipc
