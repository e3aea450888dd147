#include <nlohmann/json.hpp>

#include "plugins/destination/sqlite/sqlite_destination.h"
#include "plugins/destination/test/test_destination.h"
#include "quarry/testing/temp_dir.h"
#include "tests/conformance/destination_conformance.h"

namespace quarry::conformance {
namespace {

// A fresh SQLite file per test.
class SqliteStore : public Store {
 public:
  explicit SqliteStore(std::function<std::unique_ptr<plugin::DestinationPlugin>()> make)
      : make_(std::move(make)) {}

  std::unique_ptr<plugin::DestinationPlugin> Open(plugin::WriteMode w, plugin::MigrateMode m,
                                                  plugin::PkMode p) override {
    auto d = make_();
    Status st = d->Configure(nlohmann::json{{"connection_string", dir_.Path("conformance.db")}});
    EXPECT_TRUE(st.ok()) << st.ToString();
    plugin::DestinationOptions spec;
    spec.name = "conformance";
    spec.write_mode = w;
    spec.migrate_mode = m;
    spec.pk_mode = p;
    st = d->Init(plugin::PluginContext{&logger_}, spec);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return d;
  }

 private:
  std::function<std::unique_ptr<plugin::DestinationPlugin>()> make_;
  testing::TempDir dir_;
  Logger logger_;
};

INSTANTIATE_TEST_SUITE_P(
    Builtin, DestinationConformance,
    ::testing::Values(
        ConformanceTarget{
            "sqlite", [] { return std::make_unique<SqliteStore>(plugins::NewSqliteDestination); }},
        ConformanceTarget{
            "test", [] { return std::make_unique<SqliteStore>(plugins::NewTestDestination); }}),
    [](const ::testing::TestParamInfo<ConformanceTarget>& info) { return info.param.name; });

}  // namespace
}  // namespace quarry::conformance
