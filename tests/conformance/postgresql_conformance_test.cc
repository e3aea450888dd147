#include <atomic>
#include <nlohmann/json.hpp>

#include "plugins/destination/postgresql/pg_test_server.h"
#include "plugins/destination/postgresql/postgresql_destination.h"
#include "tests/conformance/destination_conformance.h"

namespace quarry::conformance {
namespace {

const auto* const kPg = ::testing::AddGlobalTestEnvironment(new pgtest::PgTestServer);

// A fresh database per test on the shared throwaway server.
class PostgresqlStore : public Store {
 public:
  PostgresqlStore() {
    static std::atomic<int> next{0};
    db_ = "conformance_" + std::to_string(next++);
    const std::string& server = pgtest::PgTestServer::Dsn();
    EXPECT_EQ(pgtest::Query(server, "DROP DATABASE IF EXISTS " + db_), "");
    EXPECT_EQ(pgtest::Query(server, "CREATE DATABASE " + db_), "");
    dsn_ = server;
    const auto at = dsn_.find("dbname=postgres");
    dsn_.replace(at, 15, "dbname=" + db_);
  }

  std::unique_ptr<plugin::DestinationPlugin> Open(plugin::WriteMode w, plugin::MigrateMode m,
                                                  plugin::PkMode p) override {
    auto d = plugins::NewPostgresqlDestination();
    Status st = d->Configure(nlohmann::json{{"connection_string", dsn_}});
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
  std::string db_;
  std::string dsn_;
  Logger logger_;
};

INSTANTIATE_TEST_SUITE_P(Postgresql, DestinationConformance,
                         ::testing::Values(ConformanceTarget{
                             "postgresql", [] { return std::make_unique<PostgresqlStore>(); }}),
                         [](const ::testing::TestParamInfo<ConformanceTarget>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace quarry::conformance
