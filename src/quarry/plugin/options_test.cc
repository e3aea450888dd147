#include "quarry/plugin/options.h"

#include <gtest/gtest.h>

namespace quarry::plugin {
namespace {

TEST(OptionsTest, EveryWriteModeRoundTripsThroughItsConfigName) {
  for (WriteMode m :
       {WriteMode::kOverwriteDeleteStale, WriteMode::kOverwrite, WriteMode::kAppend}) {
    Result<WriteMode> parsed = ParseWriteMode(ToString(m));
    ASSERT_TRUE(parsed.ok()) << parsed.status().message();
    EXPECT_EQ(*parsed, m);
  }
  EXPECT_EQ(ToString(WriteMode::kOverwriteDeleteStale), "overwrite-delete-stale");
  EXPECT_EQ(ToString(WriteMode::kAppend), "append");
}

TEST(OptionsTest, EveryMigrateModeAndPkModeRoundTripsThroughItsConfigName) {
  for (MigrateMode m : {MigrateMode::kSafe, MigrateMode::kForced}) {
    Result<MigrateMode> parsed = ParseMigrateMode(ToString(m));
    ASSERT_TRUE(parsed.ok()) << parsed.status().message();
    EXPECT_EQ(*parsed, m);
  }
  for (PkMode m : {PkMode::kDefault, PkMode::kCqIdOnly}) {
    Result<PkMode> parsed = ParsePkMode(ToString(m));
    ASSERT_TRUE(parsed.ok()) << parsed.status().message();
    EXPECT_EQ(*parsed, m);
  }
  EXPECT_EQ(ToString(MigrateMode::kForced), "forced");
  EXPECT_EQ(ToString(PkMode::kCqIdOnly), "cq-id-only");
}

TEST(OptionsTest, UnknownWriteModeIsAnErrorListingTheKnownOnes) {
  Result<WriteMode> r = ParseWriteMode("upsert");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "unknown write_mode \"upsert\" (use overwrite-delete-stale, overwrite, append)");
}

TEST(OptionsTest, ModeNamesMustMatchExactly) {
  EXPECT_FALSE(ParseWriteMode("Append").ok());
  EXPECT_FALSE(ParsePkMode("").ok());
}

}  // namespace
}  // namespace quarry::plugin
