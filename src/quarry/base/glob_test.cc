#include "quarry/base/glob.h"

#include <gtest/gtest.h>

namespace quarry {
namespace {

TEST(GlobTest, StarMatchesAnyRun) {
  EXPECT_TRUE(GlobMatch("*", "aws_ec2_instances"));
  EXPECT_TRUE(GlobMatch("aws_*", "aws_ec2_instances"));
  EXPECT_TRUE(GlobMatch("*_instances", "aws_ec2_instances"));
  EXPECT_TRUE(GlobMatch("aws_*_inst*", "aws_ec2_instances"));
  EXPECT_TRUE(GlobMatch("test_*", "test_"));
  EXPECT_FALSE(GlobMatch("aws_*", "gcp_compute"));
  EXPECT_FALSE(GlobMatch("test_some_table", "test_some_table2"));
  EXPECT_TRUE(GlobMatch("test_some_table", "test_some_table"));
  EXPECT_FALSE(GlobMatch("", "x"));
}

}  // namespace
}  // namespace quarry
