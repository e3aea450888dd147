#include "quarry/testing/fake_clock.h"

#include <gtest/gtest.h>

#include <thread>

#include "quarry/base/channel.h"

namespace quarry::testing {
namespace {

TEST(FakeClockTest, MovesOnlyWhenAdvanced) {
  FakeClock clock;
  EXPECT_EQ(clock.NowMicros(), 0);
  clock.Advance(1500);
  EXPECT_EQ(clock.NowMicros(), 1500);
}

TEST(FakeClockTest, WaiterTimesOutExactlyAtItsDeadline) {
  FakeClock clock;
  Channel<int> ch(1);
  PopResult result = PopResult::kItem;
  std::jthread waiter([&] {
    int out = 0;
    result = ch.PopUntil(clock, 1000, &out);
  });
  EXPECT_EQ(clock.AwaitWaiter(), 1000);
  clock.Advance(999);
  EXPECT_EQ(clock.AwaitWaiter(), 1000);  // woken, one microsecond short: waits on
  clock.Advance(1);
  waiter.join();
  EXPECT_EQ(result, PopResult::kTimeout);
}

TEST(FakeClockTest, WaiterTakesAnItemBeforeItsDeadline) {
  FakeClock clock;
  Channel<int> ch(1);
  int out = 0;
  std::jthread waiter([&] { EXPECT_EQ(ch.PopUntil(clock, 1000, &out), PopResult::kItem); });
  ASSERT_TRUE(clock.AwaitWaiter().has_value());
  ch.Push(7);
  waiter.join();
  EXPECT_EQ(out, 7);
  EXPECT_EQ(clock.NowMicros(), 0);
}

TEST(FakeClockTest, AwaitWaiterGivesUpWhenNobodyWaits) {
  FakeClock clock;
  EXPECT_EQ(clock.AwaitWaiter(std::chrono::milliseconds(1)), std::nullopt);
}

}  // namespace
}  // namespace quarry::testing
