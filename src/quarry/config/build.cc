#include "quarry/config/build.h"

#include <fmt/format.h>

#include <map>
#include <optional>
#include <set>
#include <span>
#include <utility>

#include "quarry/config/input.h"
#include "quarry/config/substitute.h"

namespace quarry::config::internal {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kRegistries = "cloudquery, local, grpc";

// The keys both kinds share. Returns false when `e` is not one of them.
Result<bool> DecodeCommonKey(SpecDecoder& d, const Entry& e, PluginSpec* spec) {
  if (e.key == "name") return true;  // decoded first, before anything else
  if (e.key == "path") {
    QUARRY_ASSIGN_OR_RETURN(spec->path, d.String(e.key, e.value, /*non_empty=*/true));
    return true;
  }
  if (e.key == "registry") {
    QUARRY_ASSIGN_OR_RETURN(std::string registry, d.String(e.key, e.value, true));
    // "github" was CloudQuery's default before its hub existed; it means the same plugins.
    if (registry == "github") registry = "cloudquery";
    if (registry != "cloudquery" && registry != "local" && registry != "grpc") {
      return d.Error(e.key, fmt::format("unknown registry \"{}\" (use {})", registry, kRegistries));
    }
    spec->registry = registry;
    return true;
  }
  if (e.key == "version") {
    if (!e.value.IsNull()) {
      QUARRY_ASSIGN_OR_RETURN(spec->version, d.String(e.key, e.value, false));
    }
    return true;
  }
  if (e.key == "spec") {
    if (e.value.IsNull()) return true;  // `spec:` with nothing under it: no options
    if (!e.value.IsMap()) {
      return d.Error(e.key, fmt::format("expected a mapping, got {}", Describe(e.value)));
    }
    QUARRY_ASSIGN_OR_RETURN(spec->spec, d.Json(e.value, "spec"));
    return true;
  }
  return false;
}

constexpr std::string_view kSourceKeys[] = {"name",
                                            "path",
                                            "registry",
                                            "version",
                                            "tables",
                                            "skip_tables",
                                            "skip_dependent_tables",
                                            "destinations",
                                            "spec",
                                            "deterministic_cq_id",
                                            "backend_options",
                                            "otel_endpoint",
                                            "otel_endpoint_insecure",
                                            "scheduler",
                                            "concurrency",
                                            "table_concurrency",
                                            "resource_concurrency"};
constexpr std::string_view kDestinationKeys[] = {
    "name",         "path",    "registry",          "version",       "write_mode",
    "migrate_mode", "pk_mode", "send_sync_summary", "sync_group_id", "spec"};
constexpr std::string_view kBackendOptionKeys[] = {"table_name", "connection"};

Status UnknownKey(SpecDecoder& d, const std::string& key, std::span<const std::string_view> known) {
  const size_t dot = key.rfind('.');
  const std::string_view last =
      dot == std::string::npos ? key : std::string_view(key).substr(dot + 1);
  return d.Error(key, "unknown key" + Suggest(last, known));
}

// A valid name, if the mapping has one, so that even errors found while listing its keys (a
// repeated key) can say which plugin they are about. DecodeName reports an invalid one.
std::string PeekName(const YAML::Node& spec) {
  for (auto it = spec.begin(); it != spec.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == "name") {
      return it->second.IsScalar() && NameProblem(it->second.Scalar()).empty() ? it->second.Scalar()
                                                                               : "";
    }
  }
  return "";
}

// Decodes `name` first so that every later error can say which plugin it is about.
Status DecodeName(SpecDecoder& d, const std::vector<Entry>& entries, PluginSpec* spec) {
  for (const Entry& e : entries) {
    if (e.key != "name") continue;
    QUARRY_ASSIGN_OR_RETURN(std::string name, d.String("name", e.value, /*non_empty=*/true));
    if (const std::string problem = NameProblem(name); !problem.empty()) {
      return d.Error("name", problem);
    }
    spec->name = std::move(name);
    return Status::OK();
  }
  return d.Error("name", "required key is missing");
}

Status DecodeBackendOptions(SpecDecoder& d, const Entry& e, SourceSpec* spec) {
  if (e.value.IsNull()) return Status::OK();
  if (!e.value.IsMap()) {
    return d.Error(e.key, fmt::format("expected a mapping with table_name and connection, got {}",
                                      Describe(e.value)));
  }
  QUARRY_ASSIGN_OR_RETURN(std::vector<Entry> entries, d.Entries(e.value, "backend_options"));
  BackendOptions opts;
  bool has_table = false;
  bool has_connection = false;
  for (const Entry& o : entries) {
    const std::string key = "backend_options." + o.key;
    if (o.key == "table_name") {
      QUARRY_ASSIGN_OR_RETURN(opts.table_name, d.String(key, o.value, true));
      has_table = true;
    } else if (o.key == "connection") {
      QUARRY_ASSIGN_OR_RETURN(opts.connection, d.String(key, o.value, true));
      has_connection = true;
    } else {
      return UnknownKey(d, key, kBackendOptionKeys);
    }
  }
  if (!has_table) return d.Error("backend_options.table_name", "required key is missing");
  if (!has_connection) return d.Error("backend_options.connection", "required key is missing");
  spec->backend_options = std::move(opts);
  return Status::OK();
}

// `spec` is the object `d` reports errors for.
Status DecodeSource(SpecDecoder& d, const std::vector<Entry>& entries, SourceSpec* spec_ptr) {
  SourceSpec& spec = *spec_ptr;
  QUARRY_RETURN_NOT_OK(DecodeName(d, entries, &spec));
  bool has_path = false;
  bool has_destinations = false;
  for (const Entry& e : entries) {
    QUARRY_ASSIGN_OR_RETURN(const bool common, DecodeCommonKey(d, e, &spec));
    if (common) {
      has_path |= e.key == "path";
      continue;
    }
    if (e.key == "tables") {
      QUARRY_ASSIGN_OR_RETURN(spec.tables, d.StringList(e.key, e.value));
    } else if (e.key == "skip_tables") {
      QUARRY_ASSIGN_OR_RETURN(spec.skip_tables, d.StringList(e.key, e.value));
    } else if (e.key == "skip_dependent_tables") {
      QUARRY_ASSIGN_OR_RETURN(spec.skip_dependent_tables, d.Bool(e.key, e.value));
    } else if (e.key == "destinations") {
      QUARRY_ASSIGN_OR_RETURN(spec.destinations, d.StringList(e.key, e.value));
      has_destinations = true;
    } else if (e.key == "deterministic_cq_id") {
      QUARRY_ASSIGN_OR_RETURN(spec.deterministic_cq_id, d.Bool(e.key, e.value));
    } else if (e.key == "backend_options") {
      QUARRY_RETURN_NOT_OK(DecodeBackendOptions(d, e, &spec));
    } else if (e.key == "otel_endpoint" || e.key == "scheduler") {
      // CloudQuery settings with no meaning here: accepted so that its configs load unchanged.
      QUARRY_RETURN_NOT_OK(d.String(e.key, e.value, false).status());
    } else if (e.key == "otel_endpoint_insecure") {
      QUARRY_RETURN_NOT_OK(d.Bool(e.key, e.value).status());
    } else if (e.key == "concurrency" || e.key == "table_concurrency" ||
               e.key == "resource_concurrency") {
      QUARRY_RETURN_NOT_OK(d.Int(e.key, e.value).status());
    } else {
      return UnknownKey(d, e.key, kSourceKeys);
    }
  }
  if (!has_path) return d.Error("path", "required key is missing");
  if (!has_destinations || spec.destinations.empty()) {
    return d.Error("destinations", "a source needs at least one destination name");
  }
  return Status::OK();
}

// `spec` is the object `d` reports errors for.
Status DecodeDestination(SpecDecoder& d, const std::vector<Entry>& entries,
                         DestinationSpec* spec_ptr) {
  DestinationSpec& spec = *spec_ptr;
  QUARRY_RETURN_NOT_OK(DecodeName(d, entries, &spec));
  bool has_path = false;
  // Enum values go through the shared parsers, whose messages already list the valid values.
  auto enum_value = [&](const Entry& e) { return d.String(e.key, e.value, true); };
  auto wrap = [&](const Entry& e, const Status& st) { return d.Error(e.key, st.message()); };
  for (const Entry& e : entries) {
    QUARRY_ASSIGN_OR_RETURN(const bool common, DecodeCommonKey(d, e, &spec));
    if (common) {
      has_path |= e.key == "path";
      continue;
    }
    if (e.key == "write_mode") {
      QUARRY_ASSIGN_OR_RETURN(std::string s, enum_value(e));
      Result<WriteMode> m = ParseWriteMode(s);
      if (!m.ok()) return wrap(e, m.status());
      spec.write_mode = *m;
    } else if (e.key == "migrate_mode") {
      QUARRY_ASSIGN_OR_RETURN(std::string s, enum_value(e));
      Result<MigrateMode> m = ParseMigrateMode(s);
      if (!m.ok()) return wrap(e, m.status());
      spec.migrate_mode = *m;
    } else if (e.key == "pk_mode") {
      QUARRY_ASSIGN_OR_RETURN(std::string s, enum_value(e));
      Result<PkMode> m = ParsePkMode(s);
      if (!m.ok()) return wrap(e, m.status());
      spec.pk_mode = *m;
    } else if (e.key == "send_sync_summary") {
      QUARRY_ASSIGN_OR_RETURN(spec.send_sync_summary, d.Bool(e.key, e.value));
    } else if (e.key == "sync_group_id") {
      if (!e.value.IsNull()) {
        QUARRY_ASSIGN_OR_RETURN(spec.sync_group_id, d.String(e.key, e.value, false));
      }
    } else {
      return UnknownKey(d, e.key, kDestinationKeys);
    }
  }
  if (!has_path) return d.Error("path", "required key is missing");
  // Deleting stale rows compares against every earlier sync of the source; with sync groups that
  // would delete the other groups' rows. CloudQuery rejects this combination too.
  if (!spec.sync_group_id.empty() && spec.write_mode == WriteMode::kOverwriteDeleteStale) {
    return d.Error("sync_group_id",
                   "cannot be used with write_mode overwrite-delete-stale (use overwrite or "
                   "append)");
  }
  return Status::OK();
}

}  // namespace

Status ConfigBuilder::AddFile(const std::string& raw, const std::string& file,
                              const fs::path& base_dir) {
  config_.files.push_back(file);
  if (raw.size() > kMaxFileBytes) {
    return Status::Invalid(fmt::format("{}: {}", file, TooLarge("the file")));
  }
  QUARRY_RETURN_NOT_OK(CheckText(file, raw));
  QUARRY_ASSIGN_OR_RETURN(Substituted sub, Substitute(raw, file, base_dir));
  SourceText src{file, std::move(sub.source_lines)};

  QUARRY_ASSIGN_OR_RETURN(const std::vector<YAML::Node> docs, ParseYaml(sub.text, src));
  for (const YAML::Node& doc : docs) {
    // yaml-cpp does not throw while reading a parsed tree with type checks first, but a bug
    // of ours must not escape as an exception.
    try {
      QUARRY_RETURN_NOT_OK(AddDocument(doc, src));
    } catch (const std::exception& e) {
      return Status::Internal(
          fmt::format("{}: reading the document: {}", src.Loc(doc.Mark()).ToString(), e.what()));
    }
  }
  return Status::OK();
}

Result<Config> ConfigBuilder::Finish() {
  const std::string where = config_.files.empty() ? "config" : config_.files.front();
  if (config_.sources.empty() || config_.destinations.empty()) {
    return Status::Invalid(fmt::format(
        "{}: at least one source and one destination are required (found {} source{}, {} "
        "destination{})",
        where, config_.sources.size(), config_.sources.size() == 1 ? "" : "s",
        config_.destinations.size(), config_.destinations.size() == 1 ? "" : "s"));
  }
  QUARRY_RETURN_NOT_OK(CheckUniqueNames(config_.sources));
  QUARRY_RETURN_NOT_OK(CheckUniqueNames(config_.destinations));
  std::string known;
  for (const auto& dst : config_.destinations) {
    known += (known.empty() ? "" : ", ") + dst.name;
  }
  for (const SourceSpec& s : config_.sources) {
    std::set<std::string_view> used;
    for (size_t i = 0; i < s.destinations.size(); ++i) {
      const std::string& name = s.destinations[i];
      const std::string key = fmt::format("destinations.{}", i);
      if (config_.FindDestination(name) == nullptr) {
        return s.ErrorAt(key, fmt::format("destinations: no destination is named \"{}\" "
                                          "(destinations: {})",
                                          name, known));
      }
      if (!used.insert(name).second) {
        return s.ErrorAt(key, fmt::format("destinations: \"{}\" is listed twice", name));
      }
    }
    if (s.backend_options) {
      QUARRY_RETURN_NOT_OK(CheckBackendConnection(s, known));
    }
  }
  return std::move(config_);
}

Status ConfigBuilder::AddDocument(const YAML::Node& doc, const SourceText& src) {
  if (doc.IsNull()) return Status::OK();  // an empty document, e.g. after a trailing `---`
  const Location doc_loc = src.Loc(doc.Mark());
  if (!doc.IsMap()) {
    return Status::Invalid(
        fmt::format("{}: a document must be a mapping with kind and spec, got {}",
                    doc_loc.ToString(), Describe(doc)));
  }
  // A default-constructed YAML::Node counts as defined, hence the optionals.
  std::optional<Entry> kind_entry, spec_entry;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    const Location loc = src.Loc(it->first.Mark());
    const std::string key = it->first.IsScalar() ? it->first.Scalar() : "";
    std::optional<Entry>* slot = key == "kind"   ? &kind_entry
                                 : key == "spec" ? &spec_entry
                                                 : nullptr;
    if (slot == nullptr) {
      return Status::Invalid(fmt::format("{}: {}: unknown key (a document has only kind and spec)",
                                         loc.ToString(), key.empty() ? Describe(it->first) : key));
    }
    if (slot->has_value()) {
      return Status::Invalid(fmt::format("{}: {}: duplicate key (first written at line {})",
                                         loc.ToString(), key,
                                         src.Loc((*slot)->key_node.Mark()).line));
    }
    slot->emplace(Entry{key, it->first, it->second});
  }
  if (!kind_entry) {
    return Status::Invalid(fmt::format("{}: kind: required key is missing (source or destination)",
                                       doc_loc.ToString()));
  }
  const Location kind_loc = src.Loc(kind_entry->key_node.Mark());
  const YAML::Node& kind = kind_entry->value;
  const std::string kind_name = kind.IsScalar() ? kind.Scalar() : "";
  if (!kind.IsScalar()) {
    return Status::Invalid(fmt::format("{}: kind: expected source or destination, got {}",
                                       kind_loc.ToString(), Describe(kind)));
  }
  if (kind_name != "source" && kind_name != "destination") {
    return Status::Invalid(fmt::format("{}: kind: unknown kind {} (use source, destination)",
                                       kind_loc.ToString(), Describe(kind)));
  }
  if (!spec_entry) {
    return Status::Invalid(
        fmt::format("{}: {}: spec: required key is missing", kind_loc.ToString(), kind_name));
  }
  const YAML::Node& spec = spec_entry->value;
  if (!spec.IsMap()) {
    return Status::Invalid(fmt::format("{}: {}: spec: expected a mapping, got {}",
                                       src.Loc(spec_entry->key_node.Mark()).ToString(), kind_name,
                                       Describe(spec)));
  }

  if (kind_name == "source") {
    SourceSpec s;
    s.kind = kind_name;
    s.location = kind_loc;
    s.name = PeekName(spec);
    SpecDecoder d(src, &s);
    QUARRY_ASSIGN_OR_RETURN(std::vector<Entry> entries, d.Entries(spec, ""));
    QUARRY_RETURN_NOT_OK(DecodeSource(d, entries, &s));
    config_.sources.push_back(std::move(s));
  } else {
    DestinationSpec s;
    s.kind = kind_name;
    s.location = kind_loc;
    s.name = PeekName(spec);
    SpecDecoder d(src, &s);
    QUARRY_ASSIGN_OR_RETURN(std::vector<Entry> entries, d.Entries(spec, ""));
    QUARRY_RETURN_NOT_OK(DecodeDestination(d, entries, &s));
    config_.destinations.push_back(std::move(s));
  }
  return Status::OK();
}

template <typename Spec>
Status ConfigBuilder::CheckUniqueNames(const std::vector<Spec>& specs) {
  std::map<std::string_view, const Spec*> first;
  for (const Spec& s : specs) {
    auto [it, inserted] = first.emplace(s.name, &s);
    if (!inserted) {
      return s.ErrorAt("name", fmt::format("name: {} name \"{}\" is already used at {}", s.kind,
                                           s.name, it->second->Locate("name").ToString()));
    }
  }
  return Status::OK();
}

Status ConfigBuilder::CheckBackendConnection(const SourceSpec& s, const std::string& known) const {
  constexpr std::string_view kPrefix = "@@plugins.";
  constexpr std::string_view kSuffix = ".connection";
  const std::string& c = s.backend_options->connection;
  if (!c.starts_with(kPrefix) || !c.ends_with(kSuffix) ||
      c.size() <= kPrefix.size() + kSuffix.size()) {
    return Status::OK();  // a literal address
  }
  const std::string name = c.substr(kPrefix.size(), c.size() - kPrefix.size() - kSuffix.size());
  if (config_.FindDestination(name) != nullptr) return Status::OK();
  return s.ErrorAt("backend_options.connection",
                   fmt::format("backend_options.connection: no destination is named \"{}\" "
                               "(destinations: {})",
                               name, known));
}

}  // namespace quarry::config::internal
