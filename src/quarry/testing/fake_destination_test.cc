#include "quarry/testing/fake_destination.h"

#include <gtest/gtest.h>

#include "quarry/testing/batches.h"
#include "quarry/testing/status.h"

namespace quarry::testing {
namespace {

schema::TablePtr Table(const std::string& name) { return KeyedTable(name); }

types::RecordBatchPtr Batch(const schema::TablePtr& t, int rows) { return KeyedRows(t, 0, rows); }

TEST(FakeDestinationTest, RecordsEachDurableStepAsOneLine) {
  FakeDestination dest;
  auto t = Table("t"), u = Table("u");
  ASSERT_OK(dest.Migrate({t, u}));
  ASSERT_OK(dest.Write(*t, {Batch(t, 2), Batch(t, 3)}));
  std::vector<types::RecordBatchPtr> tb{Batch(t, 1)}, ub{Batch(u, 4)};
  ASSERT_OK(dest.WriteAll({{t.get(), &tb}, {u.get(), &ub}}));
  ASSERT_OK(dest.DeleteStale(*t, "src", 1).status());
  EXPECT_EQ(dest.calls(), (std::vector<std::string>{"migrate t u", "write t:5", "write t:1 u:4",
                                                    "delete_stale t src"}));
  EXPECT_EQ(dest.NumRows("t"), 6);
  EXPECT_EQ(dest.writes(), 2);
}

TEST(FakeDestinationTest, TransactionCommitsItsWritesAsOneStepOrDropsThem) {
  FakeDestination dest({.transactions = true, .readable = true});
  auto t = Table("t");
  ASSERT_OK(dest.BeginTransaction());
  ASSERT_OK(dest.Write(*t, {Batch(t, 2)}));
  ASSERT_OK(dest.Write(*t, {Batch(t, 1)}));
  EXPECT_EQ(dest.NumRows("t"), 0);
  ASSERT_OK(dest.CommitTransaction());
  ASSERT_OK(dest.BeginTransaction());
  ASSERT_OK(dest.Write(*t, {Batch(t, 7)}));
  dest.RollbackTransaction();
  EXPECT_EQ(dest.calls(), std::vector<std::string>{"write t:2 t:1"});
  int64_t read = 0;
  ASSERT_OK(dest.Read(*t, [&](types::RecordBatchPtr b) {
    read += b->num_rows();
    return Status::OK();
  }));
  EXPECT_EQ(read, 3);
}

TEST(FakeDestinationTest, FailsTheNthWriteAndStoresNothingOfIt) {
  FakeDestination dest({.fail_on_write = 2, .write_error = Status::IOError("disk full")});
  auto t = Table("t");
  ASSERT_OK(dest.Write(*t, {Batch(t, 2)}));
  EXPECT_EQ(dest.Write(*t, {Batch(t, 3)}).message(), "disk full");
  ASSERT_OK(dest.Write(*t, {Batch(t, 4)}));
  EXPECT_EQ(dest.calls(), (std::vector<std::string>{"write t:2", "write t:4"}));
  EXPECT_EQ(dest.writes(), 3);
}

TEST(FakeDestinationTest, LockIsHeldUntilReleased) {
  FakeDestination dest({.lockable = true});
  auto first = dest.TryLock("sync src");
  ASSERT_OK(first);
  ASSERT_NE(*first, nullptr);
  EXPECT_EQ(dest.TryLock("sync src").status().message(),
            "lock \"sync src\" is held by another sync");
  first->reset();
  EXPECT_OK(dest.TryLock("sync src"));
}

TEST(FakeDestinationTest, WithoutOptionsItHasNoTransactionsReadOrLocks) {
  FakeDestination dest;
  auto t = Table("t");
  EXPECT_FALSE(dest.has_transactions());
  EXPECT_FALSE(dest.BeginTransaction().ok());
  EXPECT_FALSE(dest.Read(*t, [](types::RecordBatchPtr) { return Status::OK(); }).ok());
  auto lock = dest.TryLock("x");
  ASSERT_OK(lock);
  EXPECT_EQ(*lock, nullptr);
}

TEST(FakeDestinationTest, HandlesRecordIntoTheOneFake) {
  FakeDestination dest;
  auto t = Table("t");
  {
    auto a = dest.NewHandle(), b = dest.NewHandle();
    ASSERT_OK(a->Write(*t, {Batch(t, 1)}));
    ASSERT_OK(b->Write(*t, {Batch(t, 2)}));
  }
  EXPECT_EQ(dest.NumRows("t"), 3);
}

}  // namespace
}  // namespace quarry::testing
