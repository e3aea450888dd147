#include "quarry/scheduler/scheduler.h"

#include <fmt/format.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "quarry/base/uuid.h"

namespace quarry::scheduler {

const types::Array& ParentRow::column(std::string_view name) const {
  return batch_.column(batch_.schema()->IndexOf(name));
}

namespace {

constexpr int kCqColumns = 4;  // _cq_source_name, _cq_sync_time, _cq_id, _cq_parent_id

struct RunState {
  const plugin::SyncRequest& request;
  const std::map<std::string, Resolver>& resolvers;
  const SchedulerOptions& options;
  plugin::MessageSink& sink;
  std::atomic<bool> aborted{false};
  std::mutex error_mu;
  Status fatal;  // first error that stops the run

  void Abort(Status st) {
    std::lock_guard lock(error_mu);
    if (fatal.ok()) fatal = std::move(st);
    aborted = true;
  }
};

types::SchemaPtr UserSchema(const schema::Table& table) {
  const auto& all = table.arrow_schema->fields();
  return std::make_shared<const types::Schema>(
      std::vector<types::Field>(all.begin() + kCqColumns, all.end()));
}

// The rows of one table being resolved for one client (and its children's, as child nodes).
class TableNode : public RowWriter {
 public:
  TableNode(RunState& state, schema::TablePtr table, int client)
      : state_(state), table_(std::move(table)), client_(client), builder_(UserSchema(*table_)) {
    for (const auto& child : table_->relations) {
      children_.push_back(std::make_unique<TableNode>(state_, child, client_));
    }
  }

  types::ArrayBuilder& column(int i) override { return builder_.column(i); }

  Status EndRow() override {
    const int64_t rows = static_cast<int64_t>(parent_ids_.size());
    int64_t bytes = 0;
    for (int c = 0; c < builder_.schema()->num_fields(); ++c) {
      const types::ArrayBuilder& col = builder_.column(c);
      if (col.length() != rows + 1) {
        return Status::Internal(fmt::format("resolver gave column {} {} values for row {}",
                                            builder_.schema()->field(c).name, col.length() - rows,
                                            rows));
      }
      bytes += col.size_bytes();
    }
    parent_ids_.push_back(current_parent_);
    has_parent_.push_back(has_current_parent_);
    if (rows + 1 >= state_.options.rows_per_record || bytes >= state_.options.bytes_per_record) {
      return Flush();
    }
    if (state_.aborted) return Status::Cancelled("sync aborted");
    return Status::OK();
  }

  Status Checkpoint(std::string key, std::string value) override {
    QUARRY_RETURN_NOT_OK(Flush());
    for (auto& child : children_) QUARRY_RETURN_NOT_OK(child->Finish());
    return state_.sink.Send(message::Checkpoint{std::move(key), std::move(value)});
  }

  // Runs the resolver for this table (for one parent row when `parent` is set).
  Status Resolve(const ParentRow* parent, const uint8_t* parent_id) {
    has_current_parent_ = parent_id != nullptr;
    if (parent_id != nullptr) std::memcpy(current_parent_.data(), parent_id, 16);
    auto it = state_.resolvers.find(table_->name);
    if (it == state_.resolvers.end()) {
      return Status::Internal(fmt::format("no resolver for table {}", table_->name));
    }
    ResolveContext ctx{client_, parent};
    Status st = it->second(ctx, *this);
    if (st.ok()) return Status::OK();
    if (st.IsCancelled() || state_.aborted) return st;
    // Undo a partly appended row, report the table error, keep the rows already complete.
    const int64_t rows = static_cast<int64_t>(parent_ids_.size());
    for (int c = 0; c < builder_.schema()->num_fields(); ++c) builder_.column(c).Truncate(rows);
    std::string msg = st.message();
    if (parent != nullptr) msg = fmt::format("parent row {}: {}", parent->row(), msg);
    return state_.sink.Send(message::TableError{table_->name, msg});
  }

  // Sends the pending rows, then resolves the children of each of them, then finishes children.
  Status Finish() {
    QUARRY_RETURN_NOT_OK(Flush());
    for (auto& child : children_) QUARRY_RETURN_NOT_OK(child->Finish());
    return Status::OK();
  }

 private:
  Status Flush() {
    const int64_t rows = static_cast<int64_t>(parent_ids_.size());
    if (rows == 0) return Status::OK();
    QUARRY_ASSIGN_OR_RETURN(types::RecordBatchPtr user, builder_.Finish());
    std::vector<types::ArrayPtr> columns;
    columns.reserve(static_cast<size_t>(kCqColumns + user->num_columns()));

    types::ArrayBuilder source(types::utf8()), sync_time(types::timestamp()), id(types::uuid()),
        parent(types::uuid());
    const std::string& source_name = state_.request.source_name;
    for (int64_t r = 0; r < rows; ++r) {
      source.AppendBytes(source_name);
      sync_time.Append<int64_t>(state_.request.sync_time_us);
    }
    uint8_t u[16];
    if (state_.request.deterministic_cq_id) {
      std::vector<int> key_cols;
      for (size_t c = kCqColumns; c < table_->columns.size(); ++c) {
        if (table_->columns[c].primary_key) key_cols.push_back(static_cast<int>(c) - kCqColumns);
      }
      if (key_cols.empty()) {
        for (int c = 0; c < user->num_columns(); ++c) key_cols.push_back(c);
      }
      std::string key;
      for (int64_t r = 0; r < rows; ++r) {
        key = table_->name;
        for (int c : key_cols) {
          key += '\x1f';
          types::AppendValueJson(user->column(c), r, &key);
        }
        UuidV5(key, u);
        id.AppendBytes(std::string_view(reinterpret_cast<char*>(u), 16));
      }
    } else {
      for (int64_t r = 0; r < rows; ++r) {
        uuid_gen_.NextV4(u);
        id.AppendBytes(std::string_view(reinterpret_cast<char*>(u), 16));
      }
    }
    for (int64_t r = 0; r < rows; ++r) {
      if (has_parent_[static_cast<size_t>(r)]) {
        parent.AppendBytes(std::string_view(
            reinterpret_cast<const char*>(parent_ids_[static_cast<size_t>(r)].data()), 16));
      } else {
        parent.AppendNull();
      }
    }
    parent_ids_.clear();
    has_parent_.clear();
    for (auto* b : {&source, &sync_time, &id, &parent}) {
      QUARRY_ASSIGN_OR_RETURN(types::ArrayPtr a, b->Finish());
      columns.push_back(std::move(a));
    }
    for (int c = 0; c < user->num_columns(); ++c) columns.push_back(user->column_ptr(c));
    auto batch =
        std::make_shared<const types::RecordBatch>(table_->arrow_schema, rows, std::move(columns));
    QUARRY_RETURN_NOT_OK(state_.sink.Send(message::Insert{table_, batch}));

    if (!children_.empty()) {
      const types::Array& ids = batch->column(2);
      for (int64_t r = 0; r < rows; ++r) {
        ParentRow row(*table_, *batch, r);
        const auto* pid = reinterpret_cast<const uint8_t*>(ids.GetView(r).data());
        for (auto& child : children_) QUARRY_RETURN_NOT_OK(child->Resolve(&row, pid));
      }
    }
    return Status::OK();
  }

  RunState& state_;
  schema::TablePtr table_;
  int client_;
  types::RecordBatchBuilder builder_;
  std::vector<std::array<uint8_t, 16>> parent_ids_;
  std::vector<bool> has_parent_;
  std::array<uint8_t, 16> current_parent_{};
  bool has_current_parent_ = false;
  UuidGenerator uuid_gen_;
  std::vector<std::unique_ptr<TableNode>> children_;
};

Status CheckTree(const std::vector<schema::TablePtr>& tables,
                 const std::map<std::string, Resolver>& resolvers) {
  for (const auto& t : schema::Flatten(tables)) {
    if (static_cast<int>(t->columns.size()) < kCqColumns || t->columns[2].name != schema::kCqId) {
      return Status::Internal(fmt::format("table {} lacks the _cq_* columns", t->name));
    }
    if (resolvers.count(t->name) == 0) {
      return Status::Internal(fmt::format("no resolver for table {}", t->name));
    }
  }
  return Status::OK();
}

}  // namespace

Status RunResolvers(const plugin::SyncRequest& request,
                    const std::map<std::string, Resolver>& resolvers,
                    const SchedulerOptions& options, plugin::MessageSink& sink) {
  QUARRY_RETURN_NOT_OK(CheckTree(request.tables, resolvers));
  for (const auto& t : schema::Flatten(request.tables)) {
    QUARRY_RETURN_NOT_OK(sink.Send(message::MigrateTable{t}));
  }
  struct Task {
    schema::TablePtr table;
    int client;
  };
  std::vector<Task> tasks;
  for (int client = 0; client < options.num_clients; ++client) {
    for (const auto& t : request.tables) tasks.push_back({t, client});
  }
  RunState state{request, resolvers, options, sink, {}, {}, {}};
  std::atomic<size_t> next{0};
  auto worker = [&] {
    while (!state.aborted) {
      const size_t i = next++;
      if (i >= tasks.size()) return;
      TableNode node(state, tasks[i].table, tasks[i].client);
      Status st = node.Resolve(nullptr, nullptr);
      if (st.ok()) st = node.Finish();
      if (!st.ok()) state.Abort(st);
    }
  };
  const int threads = static_cast<int>(
      std::min<size_t>(tasks.size(), static_cast<size_t>(std::max(1, options.concurrency))));
  {
    std::vector<std::jthread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back(worker);
    worker();
  }
  return state.fatal;
}

}  // namespace quarry::scheduler
