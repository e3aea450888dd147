#include "quarry/base/status.h"

#include <gtest/gtest.h>

namespace quarry {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return Status::Invalid("odd number");
  return x / 2;
}

Result<int> Quarter(int x) {
  QUARRY_ASSIGN_OR_RETURN(int h, Half(x));
  QUARRY_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(StatusTest, ContextReadsLikeAPath) {
  Status st = Status::IOError("connection lost").WithContext("copy").WithContext("table orders");
  EXPECT_EQ(st.message(), "table orders: copy: connection lost");
  EXPECT_EQ(st.code(), StatusCode::kIOError);
  EXPECT_TRUE(Status::OK().WithContext("x").ok());
}

TEST(StatusTest, AssignOrReturnPropagatesTheFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "odd number");
}

TEST(ResultDeathTest, ReadingTheValueOfAnErrorAbortsWithTheError) {
  Result<int> r = Status::IOError("disk on fire");
  EXPECT_DEATH((void)*r, "Result value read while it holds an error: .*disk on fire");
  EXPECT_DEATH((void)r.MoveValue(), "disk on fire");
  EXPECT_EQ(r.ValueOr(7), 7);
}

TEST(ResultDeathTest, BuildingAResultFromAnOkStatusAborts) {
  EXPECT_DEATH(Result<int>{Status::OK()}, "Result built from an OK status");
}

}  // namespace
}  // namespace quarry
