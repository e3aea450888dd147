// The conformance suite every destination runs (as CloudQuery's plugin-sdk testing_write*):
// inserts of every type, upsert, append, delete-stale, safe and forced migrations, WriteAll
// atomicity, the state table round trip and the sync lock (destination_conformance.cc); large
// writes, upsert and delete-stale details, reading back (write_conformance.cc); migrations in
// depth and pk_mode (migration_conformance.cc). It checks results through the
// destination's own Read, so it needs nothing but the DestinationPlugin interface.
//
// A destination's test binary instantiates it once:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, DestinationConformance,
//                            ::testing::Values(ConformanceTarget{"sqlite", MakeSqliteStore}));
//
// where the store factory gives each test fresh, empty storage (a new file, a new schema).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "quarry/plugin/destination.h"

namespace quarry::conformance {

// Fresh storage for one test. Open() may be called several times; every destination it returns
// (Configure'd and Init'ed with those modes) sees the same storage.
class Store {
 public:
  virtual ~Store() = default;
  virtual std::unique_ptr<plugin::DestinationPlugin> Open(plugin::WriteMode write_mode,
                                                          plugin::MigrateMode migrate_mode,
                                                          plugin::PkMode pk_mode) = 0;
};

struct ConformanceTarget {
  std::string name;
  std::function<std::unique_ptr<Store>()> make_store;
};

// For readable test names: "Sqlite" in "Sqlite/DestinationConformance.UpsertsByPrimaryKey/0".
inline void PrintTo(const ConformanceTarget& t, std::ostream* os) { *os << t.name; }

class DestinationConformance : public ::testing::TestWithParam<ConformanceTarget> {
 protected:
  void SetUp() override { store_ = GetParam().make_store(); }
  std::unique_ptr<plugin::DestinationPlugin> Open(
      plugin::WriteMode w = plugin::WriteMode::kOverwriteDeleteStale,
      plugin::MigrateMode m = plugin::MigrateMode::kSafe,
      plugin::PkMode p = plugin::PkMode::kDefault) {
    return store_->Open(w, m, p);
  }
  std::unique_ptr<Store> store_;
};

}  // namespace quarry::conformance
