#include "quarry/plugin/spec_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

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

TEST(SpecReaderTest, IntegerTooLargeSaysSoAndGivesTheMaximum) {
  // The config layer keeps integers beyond 64 bits as the digits written.
  json spec = {{"num_rows", 18446744073709551615ULL},
               {"num_clients", "99999999999999999999"},
               {"depth", -9223372036854775807LL - 1},
               {"width", 500}};
  auto first_error = [&](auto read) {
    SpecReader r(spec);
    read(r);
    for (const char* key : {"num_rows", "num_clients", "depth", "width"}) r.Raw(key);
    return r.Finish().message();
  };
  EXPECT_EQ(first_error([](SpecReader& r) { r.Int("num_rows", 1, 0); }),
            "spec.num_rows: 18446744073709551615 is too large (the maximum is "
            "9223372036854775807)");
  EXPECT_EQ(first_error([](SpecReader& r) { r.Int("num_clients", 1, 1); }),
            "spec.num_clients: 99999999999999999999 is too large (the maximum is "
            "9223372036854775807)");
  EXPECT_EQ(first_error([](SpecReader& r) { r.Int("width", 1, 1, 100); }),
            "spec.width: 500 is too large (the maximum is 100)");
  EXPECT_EQ(first_error([](SpecReader& r) { r.Int("depth", 1, 0); }),
            "spec.depth: must be at least 0, got -9223372036854775808");
  json quoted = {{"num_rows", "12"}};
  SpecReader r(quoted);
  r.Int("num_rows", 1);
  EXPECT_EQ(r.Finish().message(), "spec.num_rows: expected an integer, got \"12\"");
}

TEST(SpecReaderTest, HugeBatchOptionsAreErrorsNotCrashes) {
  auto error_of = [](json spec) {
    SpecReader r(spec);
    ReadBatchOptions(r, {});
    return r.Finish().message();
  };
  EXPECT_EQ(error_of({{"batch_size", 18446744073709551615ULL}}),
            "spec.batch_size: 18446744073709551615 is too large (the maximum is "
            "9223372036854775807)");
  EXPECT_EQ(error_of({{"batch_timeout", std::string(400, '9') + "s"}}),
            "spec.batch_timeout: \"999999999999999999999...99999999s\" is too large (the maximum "
            "is 2562047h)");
  EXPECT_EQ(error_of({{"batch_timeout", "2562048h"}}),
            "spec.batch_timeout: \"2562048h\" is too large (the maximum is 2562047h)");
  EXPECT_EQ(error_of({{"batch_timeout", "2562047h1s"}}),
            "spec.batch_timeout: \"2562047h1s\" is too large (the maximum is 2562047h)");
  EXPECT_EQ(error_of({{"batch_timeout", 1e300}}),
            "spec.batch_timeout: 1e+300 is too large (the maximum is 2562047h)");
  EXPECT_EQ(error_of({{"batch_timeout", 18446744073709551615ULL}}),
            "spec.batch_timeout: 18446744073709551615 is too large (the maximum is 2562047h)");
  EXPECT_EQ(error_of({{"batch_size_bytes", std::string(400, '9') + "GiB"}}),
            "spec.batch_size_bytes: \"999999999999999999999...999999GiB\" is too large (the "
            "maximum is 9223372036854775807 bytes)");
  EXPECT_EQ(error_of({{"batch_size_bytes", "8589934592GiB"}}),
            "spec.batch_size_bytes: \"8589934592GiB\" is too large (the maximum is "
            "9223372036854775807 bytes)");
  EXPECT_EQ(error_of({{"batch_size_bytes", 18446744073709551615ULL}}),
            "spec.batch_size_bytes: 18446744073709551615 is too large (the maximum is "
            "9223372036854775807 bytes)");
  // Shortened between characters, never inside one.
  const std::string e = "\u00e9";
  std::string thirty_e;
  for (int i = 0; i < 30; ++i) thirty_e += e;
  EXPECT_EQ(error_of({{"batch_timeout", thirty_e}}),
            "spec.batch_timeout: expected a duration such as \"20s\" or \"500ms\", got \"" +
                std::string(thirty_e, 0, 20) + "..." + std::string(thirty_e, 0, 8) + "\"");
  EXPECT_EQ(error_of({{"batch_timeout", "1.5.3s"}}),
            "spec.batch_timeout: expected a duration such as \"20s\" or \"500ms\", got \"1.5.3s\"");
  EXPECT_EQ(error_of({{"batch_size_bytes", "1e3MiB"}}),
            "spec.batch_size_bytes: expected a positive size such as 10485760 or \"10MiB\", got "
            "\"1e3MiB\"");
}

TEST(SpecReaderTest, DurationsAndSizesWithinRangeAreRead) {
  json spec = {{"batch_timeout", "2562047h"}, {"batch_size_bytes", "1.5KiB"}, {"batch_size", 7}};
  SpecReader r(spec);
  BatchOptions o = ReadBatchOptions(r, {});
  ASSERT_TRUE(r.Finish().ok()) << r.Finish().message();
  EXPECT_EQ(o.batch_timeout_us, 2562047LL * 3600 * 1'000'000);
  EXPECT_EQ(o.batch_size_bytes, 1536);
  for (const auto& [text, micros] : std::vector<std::pair<json, int64_t>>{{"500ms", 500'000},
                                                                          {"250us", 250},
                                                                          {"250µs", 250},
                                                                          {"1.5s", 1'500'000},
                                                                          {"2h3m4s", 7'384'000'000},
                                                                          {"10", 10'000'000},
                                                                          {0.25, 250'000},
                                                                          {3, 3'000'000}}) {
    json one = {{"t", text}};
    SpecReader reader(one);
    EXPECT_EQ(reader.DurationMicros("t", -1), micros) << text.dump();
    EXPECT_TRUE(reader.Finish().ok()) << reader.Finish().message();
  }
}

}  // namespace
}  // namespace quarry::plugin
