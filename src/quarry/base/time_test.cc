#include "quarry/base/time.h"

#include <gtest/gtest.h>

#include <limits>

namespace quarry {
namespace {

TEST(TimeTest, FormatsTimestampsInUtcWithMicroseconds) {
  EXPECT_EQ(FormatTimestampMicros(0), "1970-01-01 00:00:00.000000");
  EXPECT_EQ(FormatTimestampMicros(1764089189123456LL), "2025-11-25 16:46:29.123456");
  EXPECT_EQ(FormatTimestampMicros(-1), "1969-12-31 23:59:59.999999");
  EXPECT_EQ(FormatRfc3339(1764089189123456LL), "2025-11-25T16:46:29.123456Z");
}

TEST(TimeTest, DatesRoundTrip) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  EXPECT_EQ(FormatDate(11017), "2000-03-01");
  for (int32_t d = -800000; d < 800000; d += 997) {
    int y;
    unsigned m, dd;
    CivilFromDays(d, &y, &m, &dd);
    EXPECT_EQ(DaysFromCivil(y, m, dd), d);
  }
}

TEST(TimeTest, YearsOutsideZeroToNineThousandNineHundredNinetyNineTakeTheExpandedForm) {
  // The last day of year -1 (2 BC), the first of year 0 (1 BC), the last of 9999, the first of
  // 10000.
  EXPECT_EQ(FormatDate(-719'529), "-0001-12-31");
  EXPECT_EQ(FormatDate(-719'528), "0000-01-01");
  EXPECT_EQ(FormatDate(2'932'896), "9999-12-31");
  EXPECT_EQ(FormatDate(2'932'897), "+10000-01-01");
  EXPECT_EQ(FormatRfc3339(-62'167'219'200'000'001), "-0001-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatRfc3339(-62'167'219'200'000'000), "0000-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatRfc3339(253'402'300'799'999'999), "9999-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatRfc3339(253'402'300'800'000'000), "+10000-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatTimestampMicros(253'402'300'800'000'000), "+10000-01-01 00:00:00.000000");
  EXPECT_EQ(FormatRfc3339(-63'517'824'000'000'000), "-0043-03-15T00:00:00.000000Z");
}

TEST(TimeTest, EveryTimestampRoundTripsThroughText) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(FormatRfc3339(kMin), "-290308-12-21T19:59:05.224192Z");
  EXPECT_EQ(FormatRfc3339(kMax), "+294247-01-10T04:00:54.775807Z");
  for (int64_t us : {kMin, kMin + 1, -62'167'219'200'000'001, -62'167'219'200'000'000, int64_t{-1},
                     int64_t{0}, int64_t{1'764'089'189'123'456}, 253'402'300'799'999'999,
                     253'402'300'800'000'000, kMax - 1, kMax}) {
    for (const std::string& text : {FormatRfc3339(us), FormatTimestampMicros(us)}) {
      auto back = ParseIsoTimestamp(text);
      ASSERT_TRUE(back.ok()) << text << ": " << back.status().message();
      EXPECT_EQ(*back, us) << text;
    }
  }
}

TEST(TimeTest, EveryDateRoundTripsThroughText) {
  constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  EXPECT_EQ(FormatDate(kMin), "-5877641-06-23");
  EXPECT_EQ(FormatDate(kMax), "+5881580-07-11");
  for (int32_t days :
       {kMin, kMin + 1, -719'529, -719'528, -1, 0, 2'932'896, 2'932'897, kMax - 1, kMax}) {
    const std::string text = FormatDate(days);
    auto back = ParseIsoDate(text);
    ASSERT_TRUE(back.ok()) << text << ": " << back.status().message();
    EXPECT_EQ(*back, days) << text;
    int y;
    unsigned m, d;
    CivilFromDays(days, &y, &m, &d);
    EXPECT_EQ(DaysFromCivil(y, m, d), days) << text;
  }
}

TEST(TimeTest, ParsesOffsetsAndPostgresqlEraSuffix) {
  EXPECT_EQ(*ParseIsoTimestamp("2025-11-25T18:46:29.123456+02:00"), 1'764'089'189'123'456);
  EXPECT_EQ(*ParseIsoTimestamp("2025-11-25 14:46:29.1234560-0200"), 1'764'089'189'123'456);
  EXPECT_EQ(*ParseIsoTimestamp("2025-11-25t16:46:29.123456z"), 1'764'089'189'123'456);
  EXPECT_EQ(*ParseIsoTimestamp("10000-01-01T00:00:00"), 253'402'300'800'000'000);
  // 44 BC is year -43.
  EXPECT_EQ(*ParseIsoTimestamp("0044-03-15T00:00:00 BC"), -63'517'824'000'000'000);
  EXPECT_EQ(*ParseIsoDate("0044-03-15 BC"), *ParseIsoDate("-0043-03-15"));
  EXPECT_EQ(*ParseIsoDate("0001-01-01 BC"), -719'528);
}

TEST(TimeTest, ParsingRefusesTextThatWouldChangeTheValue) {
  for (const char* text : {"2025-11-25T16:46:29.1234567Z",    // finer than a microsecond
                           "+294247-01-10T04:00:54.775808Z",  // one past the last int64 microsecond
                           "-290308-12-21T19:59:05.224191Z",  // one before the first
                           "2026-02-29T00:00:00Z",            // no such day
                           "2026-11-25T16:46:29Z trailing",   // text after the timestamp
                           "2026-11-25T24:00:00Z", "2026-11-25", "-0044-03-15T00:00:00 BC"}) {
    EXPECT_FALSE(ParseIsoTimestamp(text).ok()) << text;
  }
  for (const char* text : {"+5881580-07-12", "-5877641-06-22", "2026-02-29", "2026-13-01",
                           "2026-11-25T00:00:00Z", "2026-11-25x"}) {
    EXPECT_FALSE(ParseIsoDate(text).ok()) << text;
  }
  EXPECT_EQ(ParseIsoTimestamp("2025-11-25T16:46:29.1234567Z").status().message(),
            "timestamp \"2025-11-25T16:46:29.1234567Z\" is finer than a microsecond, which a "
            "timestamp cannot hold");
}

TEST(TimeTest, DurationsReadLikeCloudQuery) {
  EXPECT_EQ(FormatDuration(120'000), "120ms");
  EXPECT_EQ(FormatDuration(2'500'000), "2.5s");
  EXPECT_EQ(FormatDuration(114'000'000), "1m54s");
}

}  // namespace
}  // namespace quarry
