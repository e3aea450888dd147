#include "quarry/base/time.h"

#include <gtest/gtest.h>

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

TEST(TimeTest, DurationsReadLikeCloudQuery) {
  EXPECT_EQ(FormatDuration(120'000), "120ms");
  EXPECT_EQ(FormatDuration(2'500'000), "2.5s");
  EXPECT_EQ(FormatDuration(114'000'000), "1m54s");
}

}  // namespace
}  // namespace quarry
