// Writes seed inputs for ipc_fuzz: streams of every Quarry type, empty batches, a bare schema.
#include <cstdio>
#include <fstream>
#include <string>

#include "quarry/ipc/ipc.h"
#include "quarry/types/json.h"

int main(int argc, char** argv) {
  using namespace quarry::types;
  if (argc != 2) return 2;
  auto schema = std::make_shared<const Schema>(std::vector<Field>{{"b", boolean()},
                                                                  {"i64", int64()},
                                                                  {"u8", uint8()},
                                                                  {"f64", float64()},
                                                                  {"s", utf8()},
                                                                  {"bin", binary()},
                                                                  {"ts", timestamp()},
                                                                  {"d", date32()},
                                                                  {"id", uuid()},
                                                                  {"j", json()},
                                                                  {"l", list(int64())},
                                                                  {"ll", list(list(utf8()))}},
                                               Metadata{{"cq:table_name", "seed"}});
  const char* rows[] = {
      "[]",
      R"([{"b":true,"i64":1,"u8":2,"f64":0.5,"s":"x","bin":"yz","ts":1,"d":"2026-01-01",)"
      R"("id":"0f8fad5b-d9cb-469f-a165-70867728950e","j":[1],"l":[1,2],"ll":[["a"],[]]},{}])",
  };
  int n = 0;
  for (const char* r : rows) {
    auto batch = BatchFromJson(schema, r);
    if (!batch.ok()) return 1;
    std::ofstream(std::string(argv[1]) + "/seed" + std::to_string(n++), std::ios::binary)
        << quarry::ipc::EncodeRecord(**batch);
  }
  std::ofstream(std::string(argv[1]) + "/schema", std::ios::binary)
      << quarry::ipc::EncodeSchema(*schema);
  return 0;
}
