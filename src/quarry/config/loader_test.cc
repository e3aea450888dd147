#include "quarry/config/loader.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "quarry/testing/temp_dir.h"

namespace quarry::config {
namespace {

using testing::TempDir;

Result<Config> Load(const std::string& text, const std::string& base_dir = ".") {
  return LoadConfigText(text, "sync.yml", base_dir);
}

// The error message, or "OK" so that a passing load shows up plainly in a failed assertion.
std::string ErrorOf(const Result<Config>& r) { return r.ok() ? "OK" : r.status().message(); }

constexpr char kDestination[] = R"(---
kind: destination
spec:
  name: sqlite
  path: cloudquery/sqlite
)";

constexpr char kSource[] = R"(kind: source
spec:
  name: aws
  path: cloudquery/aws
  destinations: [sqlite]
)";

TEST(ConfigLoaderTest, LoadsEveryFieldOfAMultiDocumentFile) {
  const std::string text = R"(kind: source
spec:
  name: aws
  path: cloudquery/aws
  registry: cloudquery
  version: v22.1.0
  tables: ["aws_ec2_*", aws_s3_buckets]
  skip_tables:
    - aws_ec2_images
  skip_dependent_tables: false
  destinations: [pg, files]
  deterministic_cq_id: true
  backend_options:
    table_name: cq_state
    connection: "@@plugins.pg.connection"
  spec:
    regions: [us-east-1]
---
kind: destination
spec:
  name: pg
  path: ./postgresql-plugin
  registry: local
  version: v8.0.0
  write_mode: append
  migrate_mode: forced
  pk_mode: cq-id-only
  send_sync_summary: true
  sync_group_id: group-1
  spec:
    connection_string: postgres://localhost/db
---
kind: destination
spec:
  name: files
  path: localhost:7777
  registry: grpc
)";
  Result<Config> r = Load(text);
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  const Config& c = *r;
  EXPECT_EQ(c.files, std::vector<std::string>{"sync.yml"});

  ASSERT_EQ(c.sources.size(), 1u);
  const SourceSpec& s = c.sources[0];
  EXPECT_EQ(s.kind, "source");
  EXPECT_EQ(s.name, "aws");
  EXPECT_EQ(s.path, "cloudquery/aws");
  EXPECT_EQ(s.registry, "cloudquery");
  EXPECT_EQ(s.version, "v22.1.0");
  EXPECT_EQ(s.tables, (std::vector<std::string>{"aws_ec2_*", "aws_s3_buckets"}));
  EXPECT_EQ(s.skip_tables, std::vector<std::string>{"aws_ec2_images"});
  EXPECT_FALSE(s.skip_dependent_tables);
  EXPECT_EQ(s.destinations, (std::vector<std::string>{"pg", "files"}));
  EXPECT_TRUE(s.deterministic_cq_id);
  ASSERT_TRUE(s.backend_options.has_value());
  EXPECT_EQ(s.backend_options->table_name, "cq_state");
  EXPECT_EQ(s.backend_options->connection, "@@plugins.pg.connection");
  EXPECT_EQ(s.spec.dump(), R"({"regions":["us-east-1"]})");
  EXPECT_EQ(s.location.ToString(), "sync.yml:1:1");

  ASSERT_EQ(c.destinations.size(), 2u);
  const DestinationSpec& pg = c.destinations[0];
  EXPECT_EQ(pg.kind, "destination");
  EXPECT_EQ(pg.name, "pg");
  EXPECT_EQ(pg.path, "./postgresql-plugin");
  EXPECT_EQ(pg.registry, "local");
  EXPECT_EQ(pg.version, "v8.0.0");
  EXPECT_EQ(pg.write_mode, WriteMode::kAppend);
  EXPECT_EQ(pg.migrate_mode, MigrateMode::kForced);
  EXPECT_EQ(pg.pk_mode, PkMode::kCqIdOnly);
  EXPECT_TRUE(pg.send_sync_summary);
  EXPECT_EQ(pg.sync_group_id, "group-1");
  EXPECT_EQ(pg.spec.dump(), R"({"connection_string":"postgres://localhost/db"})");
  EXPECT_EQ(pg.location.ToString(), "sync.yml:19:1");

  const DestinationSpec& files = c.destinations[1];
  EXPECT_EQ(files.name, "files");
  EXPECT_EQ(files.registry, "grpc");
  EXPECT_EQ(files.location.ToString(), "sync.yml:33:1");
  EXPECT_EQ(c.FindDestination("files"), &files);
}

TEST(ConfigLoaderTest, FillsDefaults) {
  Result<Config> r = Load(std::string(kSource) + kDestination);
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  const SourceSpec& s = r->sources[0];
  EXPECT_EQ(s.registry, "cloudquery");
  EXPECT_EQ(s.version, "");
  EXPECT_TRUE(s.tables.empty());
  EXPECT_TRUE(s.skip_tables.empty());
  EXPECT_TRUE(s.skip_dependent_tables);
  EXPECT_FALSE(s.deterministic_cq_id);
  EXPECT_FALSE(s.backend_options.has_value());
  EXPECT_EQ(s.spec.dump(), "{}");

  const DestinationSpec& d = r->destinations[0];
  EXPECT_EQ(d.registry, "cloudquery");
  EXPECT_EQ(d.write_mode, WriteMode::kOverwriteDeleteStale);
  EXPECT_EQ(d.migrate_mode, MigrateMode::kSafe);
  EXPECT_EQ(d.pk_mode, PkMode::kDefault);
  EXPECT_FALSE(d.send_sync_summary);
  EXPECT_EQ(d.sync_group_id, "");
  EXPECT_EQ(d.spec.dump(), "{}");
}

TEST(ConfigLoaderTest, SkipsEmptyDocuments) {
  Result<Config> r = Load("---\n# nothing here\n---\n" + std::string(kSource) + "---\n\n" +
                          kDestination + "---\n");
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_EQ(r->sources.size(), 1u);
  EXPECT_EQ(r->destinations.size(), 1u);
  EXPECT_EQ(r->sources[0].location.ToString(), "sync.yml:4:1");
}

TEST(ConfigLoaderTest, LoadsDirectoryYamlFilesInNameOrder) {
  TempDir dir;
  dir.Write("b.yaml", kDestination);
  dir.Write("a.yml", kSource);
  dir.Write(".hidden.yml", "not: [valid");
  dir.Write("notes.txt", "not: [valid");
  dir.Write("nested/c.yml", "not: [valid");
  Result<Config> r = LoadConfig({dir.path().string()});
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_EQ(r->files, (std::vector<std::string>{dir.Path("a.yml"), dir.Path("b.yaml")}));
  EXPECT_EQ(r->sources[0].location.ToString(), dir.Path("a.yml") + ":1:1");
  EXPECT_EQ(r->destinations[0].location.ToString(), dir.Path("b.yaml") + ":2:1");
}

TEST(ConfigLoaderTest, LoadsFilesAndDirectoriesTogether) {
  TempDir dir;
  const std::string source = dir.Write("source.yml", kSource);
  dir.Write("dest/sqlite.yml", kDestination);
  Result<Config> r = LoadConfig({source, dir.Path("dest")});
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_EQ(r->files, (std::vector<std::string>{source, dir.Path("dest/sqlite.yml")}));
}

TEST(ConfigLoaderTest, DirectoryWithoutYamlIsAnError) {
  TempDir dir;
  dir.Write("README.md", "# configs\n");
  EXPECT_EQ(ErrorOf(LoadConfig({dir.path().string()})),
            dir.path().string() + ": directory holds no *.yml or *.yaml file");
}

TEST(ConfigLoaderTest, MissingFileIsAnError) {
  TempDir dir;
  const Result<Config> r = LoadConfig({dir.Path("missing.yml")});
  EXPECT_EQ(ErrorOf(r), dir.Path("missing.yml") + ": no such file or directory");
  EXPECT_TRUE(r.status().IsInvalid());
}

TEST(ConfigLoaderTest, SubstitutesEnvironmentVariables) {
  ::setenv("QUARRY_TEST_DSN", "postgres://user:pa#ss@host/db", 1);
  ::setenv("QUARRY_TEST_ROWS", "42", 1);
  ::setenv("QUARRY_TEST_QUOTED", R"(say "hi" \o/)", 1);
  ::setenv("QUARRY_TEST_KEY", R"({"type": "service_account"})", 1);
  Result<Config> r = Load(std::string(kSource) + R"(  spec:
    dsn: ${QUARRY_TEST_DSN}
    rows: ${QUARRY_TEST_ROWS}
    greeting: "${QUARRY_TEST_QUOTED}!"
    single: '${QUARRY_TEST_ROWS}'
    key: ${QUARRY_TEST_KEY}
)" + kDestination);
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  const nlohmann::json& spec = r->sources[0].spec;
  EXPECT_EQ(spec["dsn"], "postgres://user:pa#ss@host/db");
  EXPECT_EQ(spec["rows"], 42);
  EXPECT_EQ(spec["greeting"], R"(say "hi" \o/!)");
  EXPECT_EQ(spec["single"], "42");
  // A JSON object stays a string (as in CloudQuery), for plugins that take a key as JSON text.
  EXPECT_EQ(spec["key"], R"({"type": "service_account"})");
}

TEST(ConfigLoaderTest, MissingEnvironmentVariableIsAnErrorWithItsLine) {
  ::unsetenv("QUARRY_TEST_UNSET");
  EXPECT_EQ(ErrorOf(Load(std::string(kSource) + "  spec:\n    token: ${QUARRY_TEST_UNSET}\n" +
                         kDestination)),
            "sync.yml:7:12: environment variable \"QUARRY_TEST_UNSET\" is not set");
}

TEST(ConfigLoaderTest, IgnoresVariablesInComments) {
  ::unsetenv("QUARRY_TEST_UNSET");
  ::setenv("QUARRY_TEST_ROWS", "42", 1);
  Result<Config> r = Load(
      "# token: ${QUARRY_TEST_UNSET}\n" + std::string(kSource) +
      "  spec:\n    url: http://x/#${QUARRY_TEST_ROWS}  # ${QUARRY_TEST_UNSET}\n" + kDestination);
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_EQ(r->sources[0].spec["url"], "http://x/#42");
}

TEST(ConfigLoaderTest, SubstitutesFileContentsRelativeToTheConfigFile) {
  TempDir dir;
  dir.Write("secrets/token.txt", "s3cr3t\n");
  const std::string config =
      dir.Write("sync.yml", std::string(kSource) +
                                "  spec:\n    token: ${file:secrets/token.txt}\n" + kDestination);
  Result<Config> r = LoadConfig({config});
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_EQ(r->sources[0].spec["token"], "s3cr3t");  // the trailing newline trimmed
}

TEST(ConfigLoaderTest, MultiLineFileContentStaysOneValueAndKeepsLineNumbers) {
  TempDir dir;
  dir.Write("key.pem", "-----BEGIN KEY-----\nabc\"def\n-----END KEY-----\n");
  Result<Config> r = Load(std::string(kSource) + R"(  spec:
    plain: ${file:key.pem}
    quoted: "${file:key.pem}"
    block: |
      ${file:key.pem}
    after: 1
)" + kDestination,
                          dir.path().string());
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  const SourceSpec& s = r->sources[0];
  const std::string pem = "-----BEGIN KEY-----\nabc\"def\n-----END KEY-----";
  EXPECT_EQ(s.spec["plain"], pem);
  EXPECT_EQ(s.spec["quoted"], pem);
  EXPECT_EQ(s.spec["block"], pem + "\n");
  EXPECT_EQ(s.Locate("spec.after").ToString(), "sync.yml:11:5");
  EXPECT_EQ(r->destinations[0].location.ToString(), "sync.yml:13:1");
}

TEST(ConfigLoaderTest, MissingSubstitutedFileIsAnErrorWithItsLine) {
  TempDir dir;
  EXPECT_EQ(
      ErrorOf(Load(std::string(kSource) + "  spec:\n    token: ${file:nope.txt}\n" + kDestination,
                   dir.path().string())),
      fmt::format("sync.yml:7:12: ${{file:nope.txt}}: file {} does not exist",
                  dir.Path("nope.txt")));
}

TEST(ConfigLoaderTest, DocumentMustBeAMapping) {
  EXPECT_EQ(ErrorOf(Load("- kind: source\n")),
            "sync.yml:1:1: a document must be a mapping with kind and spec, got a list");
}

TEST(ConfigLoaderTest, UnknownDocumentKeyIsAnError) {
  EXPECT_EQ(ErrorOf(Load("kind: source\nspecs:\n  name: aws\n")),
            "sync.yml:2:1: specs: unknown key (a document has only kind and spec)");
}

TEST(ConfigLoaderTest, UnknownKindIsAnError) {
  EXPECT_EQ(ErrorOf(Load("kind: transformer\nspec:\n  name: x\n")),
            "sync.yml:1:1: kind: unknown kind \"transformer\" (use source, destination)");
}

TEST(ConfigLoaderTest, MissingKindIsAnError) {
  EXPECT_EQ(ErrorOf(Load("spec:\n  name: x\n")),
            "sync.yml:1:1: kind: required key is missing (source or destination)");
}

TEST(ConfigLoaderTest, UnknownSourceKeyIsAnError) {
  EXPECT_EQ(ErrorOf(Load(std::string(kSource) + "  tabels: [aws_s3_buckets]\n" + kDestination)),
            "sync.yml:6:3: source \"aws\": tabels: unknown key (did you mean \"tables\"?)");
}

TEST(ConfigLoaderTest, UnknownDestinationKeyIsAnError) {
  EXPECT_EQ(ErrorOf(Load(std::string(kSource) + kDestination + "  batch_size: 1000\n")),
            "sync.yml:11:3: destination \"sqlite\": batch_size: unknown key");
}

TEST(ConfigLoaderTest, UnknownBackendOptionsKeyIsAnError) {
  EXPECT_EQ(ErrorOf(Load(std::string(kSource) +
                         "  backend_options:\n    table: x\n    connection: y\n" + kDestination)),
            "sync.yml:7:5: source \"aws\": backend_options.table: unknown key (did you mean "
            "\"table_name\"?)");
}

TEST(ConfigLoaderTest, ListOfWrongTypeIsAnError) {
  EXPECT_EQ(ErrorOf(Load(std::string(kSource) + "  tables: aws_s3_buckets\n" + kDestination)),
            "sync.yml:6:3: source \"aws\": tables: expected a list of strings, got "
            "\"aws_s3_buckets\"");
}

TEST(ConfigLoaderTest, ListItemOfWrongTypeIsAnError) {
  EXPECT_EQ(
      ErrorOf(Load(std::string(kSource) + "  skip_tables:\n    - a\n    - [b]\n" + kDestination)),
      "sync.yml:8:7: source \"aws\": skip_tables.1: expected a non-empty string, got a "
      "list");
}

TEST(ConfigLoaderTest, BooleanOfWrongTypeIsAnError) {
  EXPECT_EQ(
      ErrorOf(Load(std::string(kSource) + "  skip_dependent_tables: \"yes\"\n" + kDestination)),
      "sync.yml:6:3: source \"aws\": skip_dependent_tables: expected true or false, got "
      "the quoted string \"yes\"");
  EXPECT_EQ(ErrorOf(Load(std::string(kSource) + "  deterministic_cq_id: yes\n" + kDestination)),
            "sync.yml:6:3: source \"aws\": deterministic_cq_id: expected true or false, got "
            "\"yes\"");
}

TEST(ConfigLoaderTest, NameOfWrongTypeIsAnError) {
  // The name is not known yet, so the message names the kind only.
  EXPECT_EQ(ErrorOf(Load("kind: source\nspec:\n  name: [a]\n  path: x\n")),
            "sync.yml:3:3: source: name: expected a string, got a list");
}

TEST(ConfigLoaderTest, MissingRequiredKeyIsAnError) {
  EXPECT_EQ(ErrorOf(Load("kind: source\nspec:\n  name: aws\n  destinations: [sqlite]\n")),
            "sync.yml:1:1: source \"aws\": path: required key is missing");
  EXPECT_EQ(ErrorOf(Load("kind: destination\nspec:\n  path: x\n")),
            "sync.yml:1:1: destination: name: required key is missing");
  EXPECT_EQ(ErrorOf(Load("kind: source\nspec:\n  name: aws\n  path: x\n  destinations: []\n")),
            "sync.yml:5:3: source \"aws\": destinations: a source needs at least one "
            "destination name");
}

TEST(ConfigLoaderTest, RepeatedKeyIsAnError) {
  EXPECT_EQ(ErrorOf(Load(std::string(kSource) + "  path: cloudquery/gcp\n" + kDestination)),
            "sync.yml:6:3: source \"aws\": path: duplicate key (first written at line 4)");
  EXPECT_EQ(ErrorOf(Load(std::string(kSource) + "  spec:\n    a: 1\n    a: 2\n" + kDestination)),
            "sync.yml:8:5: source \"aws\": spec.a: duplicate key (first written at line 7)");
}

TEST(ConfigLoaderTest, BadWriteModeIsAnError) {
  EXPECT_EQ(ErrorOf(Load(std::string(kSource) + kDestination + "  write_mode: upsert\n")),
            "sync.yml:11:3: destination \"sqlite\": write_mode: unknown write_mode \"upsert\" "
            "(use overwrite-delete-stale, overwrite, append)");
}

TEST(ConfigLoaderTest, BadMigrateModeAndPkModeAreErrors) {
  EXPECT_EQ(ErrorOf(Load(std::string(kSource) + kDestination + "  migrate_mode: auto\n")),
            "sync.yml:11:3: destination \"sqlite\": migrate_mode: unknown migrate_mode \"auto\" "
            "(use safe, forced)");
  EXPECT_EQ(ErrorOf(Load(std::string(kSource) + kDestination + "  pk_mode: none\n")),
            "sync.yml:11:3: destination \"sqlite\": pk_mode: unknown pk_mode \"none\" "
            "(use default, cq-id-only)");
}

TEST(ConfigLoaderTest, GithubRegistryIsAnAliasOfCloudquery) {
  Result<Config> r = Load(std::string(kSource) + "  registry: github\n" + kDestination);
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_EQ(r->sources[0].registry, "cloudquery");
}

TEST(ConfigLoaderTest, UnknownRegistryIsAnError) {
  EXPECT_EQ(ErrorOf(Load(std::string(kSource) + "  registry: docker\n" + kDestination)),
            "sync.yml:6:3: source \"aws\": registry: unknown registry \"docker\" (use "
            "cloudquery, local, grpc)");
}

TEST(ConfigLoaderTest, AcceptsAndIgnoresCloudQueryOnlySourceKeys) {
  Result<Config> r = Load(std::string(kSource) + R"(  otel_endpoint: localhost:4318
  otel_endpoint_insecure: true
  scheduler: shuffle
  concurrency: 10000
  table_concurrency: 4
  resource_concurrency: 100
)" + kDestination);
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_EQ(r->sources[0].spec.dump(), "{}");
  // They are still typed: a misspelt value is not silently ignored.
  EXPECT_EQ(ErrorOf(Load(std::string(kSource) + "  concurrency: lots\n" + kDestination)),
            "sync.yml:6:3: source \"aws\": concurrency: expected an integer, got \"lots\"");
}

TEST(ConfigLoaderTest, BackendOptionsNeedBothKeys) {
  EXPECT_EQ(ErrorOf(Load(std::string(kSource) + "  backend_options:\n    table_name: cq_state\n" +
                         kDestination)),
            "sync.yml:6:3: source \"aws\": backend_options.connection: required key is "
            "missing");
}

TEST(ConfigLoaderTest, BackendConnectionMustNameADestination) {
  EXPECT_EQ(ErrorOf(Load(std::string(kSource) + R"(  backend_options:
    table_name: cq_state
    connection: "@@plugins.postgres.connection"
)" + kDestination)),
            "sync.yml:8:5: source \"aws\": backend_options.connection: no destination is named "
            "\"postgres\" (destinations: sqlite)");
}

TEST(ConfigLoaderTest, SyncGroupIdCannotDeleteStale) {
  EXPECT_EQ(ErrorOf(Load(std::string(kSource) + kDestination + "  sync_group_id: g1\n")),
            "sync.yml:11:3: destination \"sqlite\": sync_group_id: cannot be used with "
            "write_mode overwrite-delete-stale (use overwrite or append)");
  EXPECT_EQ(ErrorOf(Load(std::string(kSource) + kDestination +
                         "  sync_group_id: g1\n  write_mode: append\n")),
            "OK");
}

TEST(ConfigLoaderTest, DuplicateSourceNameIsAnError) {
  EXPECT_EQ(ErrorOf(Load(std::string(kSource) + "---\n" + kSource + kDestination)),
            "sync.yml:9:3: source \"aws\": name: source name \"aws\" is already used at "
            "sync.yml:3:3");
}

TEST(ConfigLoaderTest, DuplicateDestinationNameAcrossFilesIsAnError) {
  TempDir dir;
  dir.Write("a.yml", std::string(kSource) + kDestination);
  dir.Write("b.yml", kDestination);
  EXPECT_EQ(ErrorOf(LoadConfig({dir.path().string()})),
            fmt::format("{}:4:3: destination \"sqlite\": name: destination name \"sqlite\" is "
                        "already used at {}:9:3",
                        dir.Path("b.yml"), dir.Path("a.yml")));
}

TEST(ConfigLoaderTest, SameNameForASourceAndADestinationIsAllowed) {
  Result<Config> r = Load(
      "kind: source\nspec:\n  name: sqlite\n  path: x\n"
      "  destinations: [sqlite]\n" +
      std::string(kDestination));
  EXPECT_TRUE(r.ok()) << ErrorOf(r);
}

TEST(ConfigLoaderTest, UnknownDestinationReferenceIsAnError) {
  EXPECT_EQ(ErrorOf(Load("kind: source\nspec:\n  name: aws\n  path: x\n"
                         "  destinations: [sqlite, postgres]\n" +
                         std::string(kDestination))),
            "sync.yml:5:26: source \"aws\": destinations: no destination is named \"postgres\" "
            "(destinations: sqlite)");
}

TEST(ConfigLoaderTest, DestinationUsedByNoSourceIsAllowed) {
  Result<Config> r = Load(std::string(kSource) + kDestination +
                          "---\nkind: destination\nspec:\n  name: state\n  path: sqlite\n");
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_EQ(r->destinations.size(), 2u);
}

TEST(ConfigLoaderTest, MissingSourceIsAnError) {
  EXPECT_EQ(ErrorOf(Load(kDestination)),
            "sync.yml: at least one source and one destination are required (found 0 sources, "
            "1 destination)");
}

TEST(ConfigLoaderTest, MissingDestinationIsAnError) {
  EXPECT_EQ(ErrorOf(Load(kSource)),
            "sync.yml: at least one source and one destination are required (found 1 source, 0 "
            "destinations)");
}

TEST(ConfigLoaderTest, InvalidYamlIsAnErrorWithItsPosition) {
  const Result<Config> r = Load("kind: source\nspec:\n  name: aws\n  tables: [a, b\n  path: x\n");
  EXPECT_EQ(ErrorOf(r), "sync.yml:5:7: invalid YAML: end of sequence flow not found");
  EXPECT_TRUE(r.status().IsInvalid());
}

TEST(ConfigLoaderTest, InfersScalarTypesInPluginSpec) {
  Result<Config> r = Load(std::string(kSource) + R"(  spec:
    int: 123
    quoted_int: "123"
    single_quoted_int: '123'
    tagged_int: !!str 123
    negative: -7
    hex: 0x1F
    big: 18446744073709551615
    too_big: 99999999999999999999
    float: 1.5
    exponent: 1e3
    version: 1.2.3
    yes_no: yes
    bool: true
    quoted_bool: "true"
    tilde: ~
    empty:
    text: hello world
    date: 2024-01-02
    list: [1, "2", three]
    nested: {a: {b: false}}
    block: |
      line
)" + kDestination);
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  const nlohmann::json expected = nlohmann::json::parse(R"({
    "int": 123, "quoted_int": "123", "single_quoted_int": "123", "tagged_int": "123",
    "negative": -7, "hex": 31, "big": 18446744073709551615, "too_big": "99999999999999999999",
    "float": 1.5, "exponent": 1000.0, "version": "1.2.3", "yes_no": "yes", "bool": true,
    "quoted_bool": "true", "tilde": null, "empty": null, "text": "hello world",
    "date": "2024-01-02", "list": [1, "2", "three"], "nested": {"a": {"b": false}},
    "block": "line\n"})");
  EXPECT_EQ(r->sources[0].spec, expected) << r->sources[0].spec.dump(2);
  EXPECT_TRUE(r->sources[0].spec["big"].is_number_unsigned());
  EXPECT_TRUE(r->sources[0].spec["int"].is_number_integer());
}

TEST(ConfigLoaderTest, ResolvesMergeKeysInPluginSpec) {
  Result<Config> r = Load(std::string(kSource) + R"(  spec:
    defaults: &defaults {region: us-east-1, retries: 3}
    account:
      <<: *defaults
      retries: 5
)" + kDestination);
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_EQ(r->sources[0].spec["account"].dump(), R"({"region":"us-east-1","retries":5})");
  EXPECT_EQ(
      ErrorOf(Load(std::string(kSource) + "  spec:\n    account:\n      <<: 5\n" + kDestination)),
      "sync.yml:7:5: source \"aws\": spec.account: <<: a merge key takes a mapping or a "
      "list of mappings, got \"5\"");
}

TEST(ConfigLoaderTest, RecordsKeyLocations) {
  Result<Config> r = Load(std::string(kSource) + R"(  tables:
    - aws_s3_buckets
  backend_options:
    table_name: cq_state
    connection: "@@plugins.sqlite.connection"
  spec:
    num_rows: 10
    nested:
      key: value
    accounts:
      - id: "1"
)" + kDestination);
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  const SourceSpec& s = r->sources[0];
  auto at = [&](const std::string& key) {
    auto it = s.key_locations.find(key);
    return it == s.key_locations.end() ? "(none)" : it->second.ToString();
  };
  EXPECT_EQ(at("name"), "sync.yml:3:3");
  EXPECT_EQ(at("destinations"), "sync.yml:5:3");
  EXPECT_EQ(at("destinations.0"), "sync.yml:5:18");
  EXPECT_EQ(at("tables"), "sync.yml:6:3");
  EXPECT_EQ(at("tables.0"), "sync.yml:7:7");
  EXPECT_EQ(at("backend_options"), "sync.yml:8:3");
  EXPECT_EQ(at("backend_options.connection"), "sync.yml:10:5");
  EXPECT_EQ(at("spec"), "sync.yml:11:3");
  EXPECT_EQ(at("spec.num_rows"), "sync.yml:12:5");
  EXPECT_EQ(at("spec.nested"), "sync.yml:13:5");
  EXPECT_EQ(at("spec.nested.key"), "sync.yml:14:7");
  EXPECT_EQ(at("spec.accounts.0.id"), "sync.yml:16:9");
  // Errors found later (by the engine or a plugin) point at the key they concern.
  EXPECT_EQ(s.ErrorAt("spec.nested.key", "spec.nested.key: must be a number").message(),
            "sync.yml:14:7: source \"aws\": spec.nested.key: must be a number");
}

// Nested levels of `&aN [*aN-1, …]`, ten aliases each: 10^levels values once expanded.
std::string AliasBomb(int levels) {
  std::string s = "  spec:\n    a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < levels; ++i) {
    s += fmt::format("    a{}: &a{} [", i, i);
    for (int j = 0; j < 10; ++j) s += fmt::format("{}*a{}", j == 0 ? "" : ", ", i - 1);
    s += "]\n";
  }
  return s;
}

constexpr char kBombError[] =
    "sync.yml:12:49: source \"aws\": spec.a5.7: alias *a4 expands the document to more than "
    "1000000 values";

TEST(ConfigLoaderTest, AliasesMayNotExpandToMoreThanAMillionValues) {
  // Six levels: 1.1 million values, which would load (slowly) without the limit.
  EXPECT_EQ(ErrorOf(Load(std::string(kSource) + AliasBomb(6) + kDestination)), kBombError);
  EXPECT_TRUE(Load(std::string(kSource) + AliasBomb(5) + kDestination).ok());
}

TEST(ConfigLoaderTest, AliasBombIsRefusedBeforeItExpands) {
  // Nine levels expand to a billion values (4 GB and std::bad_alloc before the limit).
  const Result<Config> r = Load(std::string(kSource) + AliasBomb(9) + kDestination);
  EXPECT_EQ(ErrorOf(r), kBombError);
  EXPECT_TRUE(r.status().IsInvalid());
}

TEST(ConfigLoaderTest, AliasInsideTheValueItNamesIsAnError) {
  EXPECT_EQ(ErrorOf(Load(std::string(kSource) + "  spec:\n    x: &a [1, *a]\n" + kDestination)),
            "sync.yml:7:15: source \"aws\": spec.x.1: alias *a refers to a value that contains it");
  EXPECT_EQ(
      ErrorOf(Load(std::string(kSource) + "  spec:\n    x: &m {y: {<<: *m}}\n" + kDestination)),
      "sync.yml:7:20: source \"aws\": spec.x.y.<<: alias *m refers to a value that contains "
      "it");
}

TEST(ConfigLoaderTest, DeepNestingIsAnErrorWithItsLine) {
  // Unterminated, yaml-cpp reads `[[[[` as lists and single-pair mappings (`[[a]: b]`) in turn.
  const std::string deep = "  spec:\n    x: " + std::string(10000, '[') + "\n";
  EXPECT_EQ(ErrorOf(Load(std::string(kSource) + deep + kDestination)),
            "sync.yml:7:135: source \"aws\": spec.x.0.?.0.?.0.?...: nesting too deep (more than "
            "256 levels of lists and mappings)");
  const std::string closed = "  spec:\n    x: " + std::string(10000, '[') + std::string(10000, ']');
  EXPECT_EQ(ErrorOf(Load(std::string(kSource) + closed + "\n" + kDestination)),
            "sync.yml:7:261: source \"aws\": spec.x.0.0.0.0.0.0...: nesting too deep (more than "
            "256 levels of lists and mappings)");
  // Through aliases too: each level below adds the depth of the one it names.
  const std::string chain = "  spec:\n    a0: &a0 " + std::string(200, '[') +
                            std::string(200, ']') + "\n    a1: &a1 " + std::string(60, '[') +
                            "*a0" + std::string(60, ']') + "\n";
  EXPECT_EQ(ErrorOf(Load(std::string(kSource) + chain + kDestination)),
            "sync.yml:8:73: source \"aws\": spec.a1.0.0.0.0.0.0...: nesting too deep (more than "
            "256 levels of lists and mappings) through alias *a0");
  const std::string fine =
      "  spec:\n    x: " + std::string(250, '[') + std::string(250, ']') + "\n";
  EXPECT_TRUE(Load(std::string(kSource) + fine + kDestination).ok());
}

TEST(ConfigLoaderTest, FileLargerThanTheLimitIsRefused) {
  TempDir dir;
  const std::string big =
      std::string(kSource) + "# " + std::string(33 << 20, 'x') + "\n" + kDestination;
  const std::string path = dir.Write("big.yml", big);
  EXPECT_EQ(ErrorOf(LoadConfig({path})),
            path + ": the file is larger than 32 MiB (the limit for a configuration file)");
  EXPECT_EQ(ErrorOf(Load(big)),
            "sync.yml: the file is larger than 32 MiB (the limit for a configuration file)");
  // Substitution cannot grow a file beyond the limit either.
  dir.Write("blob.txt", std::string(20 << 20, 'x'));
  EXPECT_EQ(
      ErrorOf(Load(std::string(kSource) +
                       "  spec:\n    a: ${file:blob.txt}\n    b: ${file:blob.txt}\n" + kDestination,
                   dir.path().string())),
      "sync.yml:8:8: ${file:blob.txt}: the configuration would be larger than 32 MiB with "
      "this value substituted");
}

TEST(ConfigLoaderTest, NulByteIsAnErrorWithItsPosition) {
  std::string text = std::string(kSource) + kDestination;
  text.replace(text.find("cloudquery/aws") + 5, 0, std::string(1, '\0'));
  EXPECT_EQ(ErrorOf(Load(text)),
            "sync.yml:4:14: the file contains a NUL byte; a configuration file must be UTF-8 text");
}

TEST(ConfigLoaderTest, InvalidUtf8IsAnErrorWithItsPosition) {
  std::string text = std::string(kSource) + kDestination;
  text.replace(text.find("aws\n"), 0, "d\xc3\xa9j\xe0 \xff\xfe");
  EXPECT_EQ(ErrorOf(Load(text)), "sync.yml:3:12: the file is not valid UTF-8 text (byte 0xe0)");
  EXPECT_EQ(ErrorOf(Load(std::string("\xff\xfek\0i\0n\0d\0", 10))),
            "sync.yml:1:1: the file is UTF-16 text; save it as UTF-8");
  text = std::string(kSource) + kDestination;
  text.replace(text.find("aws\n"), 0, "\x1b[31m");
  EXPECT_EQ(ErrorOf(Load(text)),
            "sync.yml:3:9: the file contains the control character 0x1b; a configuration file "
            "must be UTF-8 text");
}

TEST(ConfigLoaderTest, SubstitutedValueMustBeText) {
  TempDir dir;
  dir.Write("binary.der", "\x30\x82\x01\xff");
  dir.Write("escape.txt", "\x1b[0m");
  auto load = [&](const std::string& line) {
    return Load(std::string(kSource) + "  spec:\n" + line + "\n" + kDestination,
                dir.path().string());
  };
  EXPECT_EQ(ErrorOf(load("    key: ${file:binary.der}")),
            "sync.yml:7:10: ${file:binary.der}: the value is not valid UTF-8 text (byte 0x82 at "
            "offset 1)");
  EXPECT_EQ(ErrorOf(load("    key: ${file:escape.txt}")),
            "sync.yml:7:10: ${file:escape.txt}: the value contains the control character 0x1b, "
            "which only a double-quoted string can hold");
  const Result<Config> quoted = load("    key: \"${file:escape.txt}\"");
  ASSERT_TRUE(quoted.ok()) << ErrorOf(quoted);
  EXPECT_EQ(quoted->sources[0].spec["key"], "\x1b[0m");
}

TEST(ConfigLoaderTest, IntegerTooLargeSaysSoAndGivesTheMaximum) {
  EXPECT_EQ(
      ErrorOf(Load(std::string(kSource) + "  concurrency: 18446744073709551615\n" + kDestination)),
      "sync.yml:6:3: source \"aws\": concurrency: 18446744073709551615 is too large (the "
      "maximum is 9223372036854775807)");
  EXPECT_EQ(ErrorOf(Load(std::string(kSource) + "  concurrency: 99999999999999999999999\n" +
                         kDestination)),
            "sync.yml:6:3: source \"aws\": concurrency: 99999999999999999999999 is too large (the "
            "maximum is 9223372036854775807)");
  EXPECT_EQ(ErrorOf(Load(std::string(kSource) + "  concurrency: -99999999999999999999999\n" +
                         kDestination)),
            "sync.yml:6:3: source \"aws\": concurrency: -99999999999999999999999 is too small (the "
            "minimum is -9223372036854775808)");
}

TEST(ConfigLoaderTest, NameLongerThan200BytesIsAnError) {
  std::string text = std::string(kSource) + kDestination;
  text.replace(text.find("aws\n"), 3, std::string(300, 'a'));
  EXPECT_EQ(ErrorOf(Load(text)), "sync.yml:3:3: source: name: must be at most 200 bytes, got 300");
  text = std::string(kSource) + kDestination;
  text.replace(text.find("sqlite\n  path"), 6, std::string(201, 'd'));
  EXPECT_EQ(ErrorOf(Load(text)),
            "sync.yml:9:3: destination: name: must be at most 200 bytes, got 201");
}

TEST(ConfigLoaderTest, NameWithControlCharactersIsAnError) {
  for (const auto& [name, problem] : std::vector<std::pair<std::string, std::string>>{
           {R"("aws\nprod")", "must not contain control characters (0x0a at byte 4)"},
           {R"("aws\0")", "must not contain control characters (0x00 at byte 4)"},
           {R"("\tx")", "must not contain control characters (0x09 at byte 1)"}}) {
    std::string text = std::string(kSource) + kDestination;
    text.replace(text.find("aws\n"), 3, name);
    EXPECT_EQ(ErrorOf(Load(text)), "sync.yml:3:3: source: name: " + problem);
  }
}

TEST(ConfigLoaderTest, NormalNamesAreAccepted) {
  for (const std::string& name : std::vector<std::string>{
           "aws", "aws-prod_eu.1", "AWS_2024", "données", "a b", std::string(200, 'n')}) {
    std::string text = std::string(kSource) + kDestination;
    text.replace(text.find("aws\n"), 3, "\"" + name + "\"");
    const Result<Config> r = Load(text);
    ASSERT_TRUE(r.ok()) << ErrorOf(r);
    EXPECT_EQ(r->sources[0].name, name);
  }
}

}  // namespace
}  // namespace quarry::config
