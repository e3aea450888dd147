#include "quarry/writer/batch_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace quarry::writer {

BatchWriter::BatchWriter(plugin::DestinationPlugin& destination, WriterOptions options)
    : dest_(destination), options_(std::move(options)) {
  migrations_ = options_.own_tables;
}

schema::TablePtr BatchWriter::DestinationTable(const schema::TablePtr& table) {
  auto it = tables_.find(table->name);
  if (it != tables_.end()) return it->second;
  schema::TablePtr t = table;
  if (options_.pk_mode == plugin::PkMode::kCqIdOnly) t = schema::WithCqColumns(*table, true);
  tables_.emplace(t->name, t);
  return t;
}

Status BatchWriter::ApplyMigrations() {
  if (migrations_.empty()) return Status::OK();
  // Migrations are not part of a row transaction. Built-in sources migrate every table before
  // their first row, so this commits nothing early in practice.
  QUARRY_RETURN_NOT_OK(CommitOpen());
  std::vector<schema::TablePtr> tables;
  tables.swap(migrations_);
  if (!options_.migrate) tables.assign(options_.own_tables.begin(), options_.own_tables.end());
  options_.own_tables.clear();
  if (tables.empty()) return Status::OK();
  return dest_.Migrate(tables).WithContext("migrate");
}

void BatchWriter::Count(const std::string& table, int64_t rows) {
  if (in_transaction_) {
    uncommitted_[table] += rows;
    return;
  }
  stats_[table].rows += rows;
  rows_written_.fetch_add(rows, std::memory_order_relaxed);
}

Status BatchWriter::CommitOpen() {
  if (!in_transaction_) return Status::OK();
  in_transaction_ = false;
  Status st = dest_.CommitTransaction();
  if (st.ok()) {
    for (const auto& [table, rows] : uncommitted_) Count(table, rows);
  }
  uncommitted_.clear();
  return st;
}

void BatchWriter::RollbackOpen() {
  if (!in_transaction_) return;
  dest_.RollbackTransaction();
  in_transaction_ = false;
  uncommitted_.clear();
}

bool BatchWriter::HeldUntilCheckpoint(const Pending& p) const {
  return options_.checkpoints && options_.checkpointed_tables.count(p.table->name) > 0 &&
         options_.checkpoints->HoldEarlyWrites() && !dest_.has_transactions();
}

Status BatchWriter::FlushEarly(Pending& p) {
  if (p.rows == 0 || HeldUntilCheckpoint(p)) return Status::OK();
  if (options_.checkpoints && options_.checkpointed_tables.count(p.table->name) > 0) {
    if (options_.checkpoints->HoldEarlyWrites()) {
      if (!in_transaction_) {
        QUARRY_RETURN_NOT_OK(dest_.BeginTransaction());
        in_transaction_ = true;
      }
    } else {
      QUARRY_RETURN_NOT_OK(options_.checkpoints->BeforeEarlyWrite());
    }
  }
  return Flush(p);
}

Status BatchWriter::Flush(Pending& p) {
  if (p.rows == 0) return Status::OK();
  Status st = dest_.Write(*p.table, p.batches);
  const int64_t rows = p.rows;
  p.batches.clear();
  p.rows = 0;
  p.bytes = 0;
  if (!st.ok()) return st;
  Count(p.table->name, rows);
  return Status::OK();
}

Status BatchWriter::FlushAll(const std::vector<plugin::TableWrite>& extra) {
  std::vector<plugin::TableWrite> writes;
  std::vector<Pending*> flushed;
  for (auto& [name, p] : pending_) {
    if (p.rows == 0) continue;
    writes.push_back({p.table.get(), &p.batches});
    flushed.push_back(&p);
  }
  writes.insert(writes.end(), extra.begin(), extra.end());
  if (writes.empty()) return CommitOpen();
  Status st = writes.size() == 1 && extra.empty()
                  ? dest_.Write(*writes[0].table, *writes[0].batches)
                  : dest_.WriteAll(writes);
  for (Pending* p : flushed) {
    if (st.ok()) Count(p->table->name, p->rows);
    p->batches.clear();
    p->rows = 0;
    p->bytes = 0;
  }
  QUARRY_RETURN_NOT_OK(st);
  return CommitOpen();
}

Status BatchWriter::FlushExpired(int64_t now_us) {
  for (auto& [name, p] : pending_) {
    if (p.rows > 0 && now_us - p.first_us >= options_.batch.batch_timeout_us) {
      QUARRY_RETURN_NOT_OK(FlushEarly(p));
    }
  }
  return Status::OK();
}

Status BatchWriter::Handle(message::Message& msg) {
  if (auto* m = std::get_if<message::MigrateTable>(&msg)) {
    migrations_.push_back(DestinationTable(m->table));
    return Status::OK();
  }
  QUARRY_RETURN_NOT_OK(ApplyMigrations());
  if (auto* ins = std::get_if<message::Insert>(&msg)) {
    Pending& p = pending_[ins->table->name];
    if (!p.table) p.table = DestinationTable(ins->table);
    if (p.rows == 0) p.first_us = options_.clock->NowMicros();
    p.rows += ins->batch->num_rows();
    p.bytes += ins->batch->size_bytes();
    p.batches.push_back(std::move(ins->batch));
    if (p.rows >= options_.batch.batch_size || p.bytes >= options_.batch.batch_size_bytes) {
      return FlushEarly(p);
    }
    return Status::OK();
  }
  if (auto* del = std::get_if<message::DeleteStale>(&msg)) {
    QUARRY_RETURN_NOT_OK(FlushAll());
    schema::TablePtr t = DestinationTable(del->table);
    QUARRY_ASSIGN_OR_RETURN(int64_t n, dest_.DeleteStale(*t, del->source_name, del->sync_time_us));
    stats_[t->name].deleted += n;
    return Status::OK();
  }
  if (auto* cp = std::get_if<message::Checkpoint>(&msg)) {
    FlushFn flush = [this](const std::vector<plugin::TableWrite>& extra) {
      return FlushAll(extra);
    };
    if (!options_.checkpoints) return flush({});
    return options_.checkpoints->OnCheckpoint(*cp, flush);
  }
  return Status::OK();  // TableError: counted by the engine
}

Status BatchWriter::Run(Channel<message::Message>& in) {
  Status failed;
  message::Message msg;
  while (true) {
    // Wake up for the oldest pending table's timeout, even when no message comes.
    std::optional<int64_t> deadline_us;
    if (failed.ok()) {
      for (const auto& [name, p] : pending_) {
        // Rows held for their checkpoint have nothing to wait for: waking for them would spin.
        if (p.rows > 0 && !HeldUntilCheckpoint(p)) {
          const int64_t due = p.first_us + options_.batch.batch_timeout_us;
          deadline_us = deadline_us ? std::min(*deadline_us, due) : due;
        }
      }
    }
    PopResult r;
    if (!deadline_us) {
      auto item = in.Pop();
      r = item ? PopResult::kItem : PopResult::kClosed;
      if (item) msg = std::move(*item);
    } else {
      r = in.PopUntil(*options_.clock, *deadline_us, &msg);
    }
    if (r == PopResult::kClosed) break;
    if (!failed.ok()) continue;  // drain
    Status st = r == PopResult::kItem ? Handle(msg) : Status::OK();
    // A batch ages whether or not messages (of other tables) keep coming.
    if (st.ok() && deadline_us) st = FlushExpired(options_.clock->NowMicros());
    if (!st.ok()) {
      failed = st;
      RollbackOpen();  // rows written early were not covered by a saved cursor yet
    }
  }
  if (failed.ok() && abandon_uncovered_ && options_.checkpoints) {
    RollbackOpen();
    for (auto& [name, p] : pending_) {
      if (options_.checkpointed_tables.count(name) > 0) p = Pending{p.table};
    }
  }
  if (failed.ok()) {
    failed = ApplyMigrations();
    if (failed.ok()) failed = FlushAll();
  }
  RollbackOpen();
  return failed;
}

}  // namespace quarry::writer
