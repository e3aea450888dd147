// quarry_ipc_tool: reads and writes Arrow IPC stream files with Quarry's codec.
//
//   quarry_ipc_tool read FILE     prints the schema and every row as JSON lines
//   quarry_ipc_tool write FILE    writes one record batch with a column of every Quarry type
//
// Used by the cross-checks against the apache-arrow npm package (tests/node/arrow_check.mjs).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "quarry/ipc/ipc.h"
#include "quarry/types/every_type.h"
#include "quarry/types/json.h"

namespace {

using namespace quarry;

nlohmann::json SchemaJson(const types::Schema& s) {
  nlohmann::json out;
  out["metadata"] = nlohmann::json::object();
  for (const auto& [k, v] : s.metadata()) out["metadata"][k] = v;
  out["fields"] = nlohmann::json::array();
  for (const auto& f : s.fields()) {
    nlohmann::json jf{{"name", f.name}, {"type", f.type->ToString()}, {"nullable", f.nullable}};
    jf["metadata"] = nlohmann::json::object();
    for (const auto& [k, v] : f.metadata) jf["metadata"][k] = v;
    out["fields"].push_back(std::move(jf));
  }
  return out;
}

int Read(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot open %s\n", path);
    return 2;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  auto stream = ipc::DecodeStream(ss.str());
  if (!stream.ok()) {
    std::fprintf(stderr, "%s\n", stream.status().message().c_str());
    return 1;
  }
  std::cout << SchemaJson(*stream->schema).dump() << "\n";
  for (const auto& b : stream->batches) {
    for (int64_t i = 0; i < b->num_rows(); ++i) std::cout << b->RowToJson(i) << "\n";
  }
  return 0;
}

int Write(const char* path) {
  using namespace types;
  std::vector<Field> fields = EveryTypeFields();

  fields[4].nullable = false;
  fields[4].metadata = {{"cq:extension:primary_key", "true"}};
  auto schema = std::make_shared<const Schema>(std::move(fields),
                                               Metadata{{"cq:table_name", "quarry_every_type"}});
  auto batch = BatchFromJson(
      schema,
      R"([{"b":true,"i8":-8,"i16":-16,"i32":-32,"i64":-64,"u8":8,"u16":16,"u32":32,)"
      R"("u64":18446744073709551615,"f32":1.5,"f64":2.25,"s":"hé \"q\"","bin":"ab",)"
      R"("ts":"2026-11-25T16:46:29.123456Z","d":"2026-11-25",)"
      R"("id":"0f8fad5b-d9cb-469f-a165-70867728950e","j":{"k":[1,2]},"ip":"10.0.0.1/32",)"
      R"("m":"08:00:2b:01:02:03","l":[1,null,3],"ls":["x",null]},)"
      R"({"i64":2},)"
      R"({"b":false,"i64":3,"s":"","l":[],"ts":"1969-12-31T23:59:59.5Z","d":"1969-12-31"}])");
  if (!batch.ok()) {
    std::fprintf(stderr, "%s\n", batch.status().message().c_str());
    return 1;
  }
  std::ofstream out(path, std::ios::binary);
  const std::string bytes = ipc::EncodeRecord(**batch);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return out ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "read") return Read(argv[2]);
  if (argc == 3 && std::string(argv[1]) == "write") return Write(argv[2]);
  std::fprintf(stderr, "usage: quarry_ipc_tool read|write FILE\n");
  return 2;
}
