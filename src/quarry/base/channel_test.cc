#include "quarry/base/channel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace quarry {
namespace {

TEST(ChannelTest, DeliversInOrderAcrossThreads) {
  Channel<int> ch(4);
  std::jthread producer([&] {
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(ch.Push(i));
    ch.Close();
  });
  int expected = 0;
  while (auto v = ch.Pop()) EXPECT_EQ(*v, expected++);
  EXPECT_EQ(expected, 1000);
}

TEST(ChannelTest, PushBlocksWhileFullUntilAConsumerTakesAnItem) {
  Channel<int> ch(1);
  ASSERT_TRUE(ch.Push(1));
  std::atomic<bool> pushed{false};
  std::jthread producer([&] {
    ch.Push(2);
    pushed = true;
  });
  // The second push cannot complete until we pop: the channel holds one item at most.
  EXPECT_EQ(ch.size(), 1u);
  EXPECT_EQ(*ch.Pop(), 1);
  EXPECT_EQ(*ch.Pop(), 2);
  producer.join();
  EXPECT_TRUE(pushed);
}

TEST(ChannelTest, CloseWakesBlockedProducerAndDrainsRemainingItems) {
  Channel<int> ch(1);
  ASSERT_TRUE(ch.Push(7));
  std::jthread producer([&] { EXPECT_FALSE(ch.Push(8)); });
  ch.Close();
  producer.join();
  EXPECT_EQ(*ch.Pop(), 7);
  EXPECT_FALSE(ch.Pop().has_value());
}

TEST(ChannelTest, PopUntilTimesOutOnAnEmptyChannel) {
  Channel<int> ch(1);
  int out = 0;
  EXPECT_EQ(ch.PopUntil(RealClock(), RealClock().NowMicros(), &out), PopResult::kTimeout);
  ch.Close();
  EXPECT_EQ(ch.PopUntil(RealClock(), RealClock().NowMicros(), &out), PopResult::kClosed);
}

TEST(ChannelTest, WeightBoundBlocksHeavyItemsButLetsOneThroughAlone) {
  // Items weigh their value; the budget is 10, the count bound 100.
  Channel<int> ch(100, 10, [](const int& v) -> int64_t { return v; });
  ASSERT_TRUE(ch.Push(4));
  ASSERT_TRUE(ch.Push(6));  // 10: full by weight
  std::atomic<bool> pushed{false};
  std::jthread producer([&] {
    EXPECT_TRUE(ch.Push(1));
    pushed = true;
  });
  // The producer cannot get in until something leaves; then it does.
  EXPECT_FALSE(pushed.load());
  EXPECT_EQ(*ch.Pop(), 4);
  producer.join();
  EXPECT_TRUE(pushed.load());
  EXPECT_EQ(*ch.Pop(), 6);
  EXPECT_EQ(*ch.Pop(), 1);
  // Heavier than the whole budget: it passes, alone.
  ASSERT_TRUE(ch.Push(50));
  EXPECT_EQ(ch.size(), 1u);
  EXPECT_EQ(*ch.Pop(), 50);
}

}  // namespace
}  // namespace quarry
