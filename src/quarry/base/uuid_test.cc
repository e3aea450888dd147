#include "quarry/base/uuid.h"

#include <gtest/gtest.h>

#include <set>

namespace quarry {
namespace {

std::string Hex(const std::array<uint8_t, 20>& d) {
  std::string s;
  for (uint8_t b : d) s += "0123456789abcdef"[b >> 4], s += "0123456789abcdef"[b & 15];
  return s;
}

TEST(UuidTest, Sha1MatchesKnownVectors) {
  EXPECT_EQ(Hex(Sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(Hex(Sha1("")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(Hex(Sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

TEST(UuidTest, V5IsStableAndVersioned) {
  uint8_t a[16], b[16], c[16];
  UuidV5("key-1", a);
  UuidV5("key-1", b);
  UuidV5("key-2", c);
  EXPECT_EQ(FormatUuid(a), FormatUuid(b));
  EXPECT_NE(FormatUuid(a), FormatUuid(c));
  EXPECT_EQ(FormatUuid(a)[14], '5');
}

TEST(UuidTest, V4IsRandomAndVersioned) {
  UuidGenerator gen;
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    uint8_t u[16];
    gen.NextV4(u);
    std::string s = FormatUuid(u);
    EXPECT_EQ(s[14], '4');
    EXPECT_TRUE(s[19] == '8' || s[19] == '9' || s[19] == 'a' || s[19] == 'b');
    seen.insert(s);
  }
  EXPECT_EQ(seen.size(), 10000u);
}

}  // namespace
}  // namespace quarry
