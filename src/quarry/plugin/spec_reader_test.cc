#include "quarry/plugin/spec_reader.h"

#include <gtest/gtest.h>

#include "quarry/plugin/destination.h"

namespace quarry::plugin {
namespace {

using nlohmann::json;

TEST(SpecReaderTest, ReadsTypedOptionsWithDefaults) {
  json spec = {{"num_rows", 5}, {"name", "x"}, {"flag", true}, {"list", {"a", "b"}}};
  SpecReader r(spec);
  EXPECT_EQ(r.Int("num_rows", 1), 5);
  EXPECT_EQ(r.Int("num_clients", 1), 1);
  EXPECT_EQ(r.String("name", ""), "x");
  EXPECT_TRUE(r.Bool("flag", false));
  EXPECT_EQ(r.StringList("list"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(r.Finish().ok());
}

TEST(SpecReaderTest, UnknownKeyIsAnErrorListingKnownKeys) {
  json spec = {{"num_rowz", 5}};
  SpecReader r(spec);
  r.Int("num_rows", 1);
  r.Int("num_clients", 1);
  EXPECT_EQ(r.Finish().message(),
            "spec.num_rowz: unknown option (known options: num_clients, num_rows)");
}

TEST(SpecReaderTest, WrongTypeAndRangeNameTheKey) {
  json spec = {{"num_rows", "many"}, {"num_clients", 0}};
  SpecReader r(spec);
  r.Int("num_rows", 1, 0);
  r.Int("num_clients", 1, 1);
  EXPECT_EQ(r.Finish().message(), "spec.num_rows: expected an integer, got \"many\"");
  SpecReader r2(spec);
  r2.Int("num_clients", 1, 1);
  r2.Raw("num_rows");
  EXPECT_EQ(r2.Finish().message(), "spec.num_clients: must be at least 1, got 0");
}

TEST(SpecReaderTest, BatchOptionsAcceptUnits) {
  json spec = {{"batch_size", 500}, {"batch_size_bytes", "5MiB"}, {"batch_timeout", "1m30s"}};
  SpecReader r(spec);
  BatchOptions o = ReadBatchOptions(r, {});
  ASSERT_TRUE(r.Finish().ok());
  EXPECT_EQ(o.batch_size, 500);
  EXPECT_EQ(o.batch_size_bytes, 5 * 1024 * 1024);
  EXPECT_EQ(o.batch_timeout_us, 90'000'000);
  json bad = {{"batch_timeout", "soon"}};
  SpecReader r2(bad);
  ReadBatchOptions(r2, {});
  EXPECT_EQ(r2.Finish().message(),
            "spec.batch_timeout: expected a duration such as \"20s\" or \"500ms\", got \"soon\"");
}

}  // namespace
}  // namespace quarry::plugin
