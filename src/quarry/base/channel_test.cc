#include "quarry/base/channel.h"

#include <gtest/gtest.h>

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
  EXPECT_EQ(ch.PopUntil(std::chrono::steady_clock::now(), &out), PopResult::kTimeout);
  ch.Close();
  EXPECT_EQ(ch.PopUntil(std::chrono::steady_clock::now(), &out), PopResult::kClosed);
}

}  // namespace
}  // namespace quarry
