#include "quarry/testing/collecting_sink.h"

#include <nlohmann/json.hpp>

namespace quarry::testing {
namespace {

std::string RowWithoutCqColumns(const types::RecordBatch& batch, int64_t row) {
  auto json = nlohmann::json::parse(batch.RowToJson(row));
  for (const char* cq : {"_cq_id", "_cq_parent_id", "_cq_source_name", "_cq_sync_time"}) {
    json.erase(cq);
  }
  return json.dump();
}

}  // namespace

Status CollectingSink::Send(message::Message msg) {
  std::lock_guard lock(mu_);
  if (auto* cp = std::get_if<message::Checkpoint>(&msg); cp && on_checkpoint) on_checkpoint(*cp);
  messages_.push_back(std::move(msg));
  return Status::OK();
}

std::vector<message::Message> CollectingSink::messages() const {
  std::lock_guard lock(mu_);
  return messages_;
}

std::vector<types::RecordBatchPtr> CollectingSink::Batches(std::string_view table) const {
  std::vector<types::RecordBatchPtr> out;
  for (const auto& m : messages()) {
    if (auto* ins = std::get_if<message::Insert>(&m); ins && ins->table->name == table) {
      out.push_back(ins->batch);
    }
  }
  return out;
}

int64_t CollectingSink::NumRows(std::string_view table) const {
  int64_t n = 0;
  for (const auto& b : Batches(table)) n += b->num_rows();
  return n;
}

std::vector<std::string> CollectingSink::Rows(std::string_view table) const {
  std::vector<std::string> out;
  for (const auto& b : Batches(table)) {
    for (int64_t r = 0; r < b->num_rows(); ++r) out.push_back(RowWithoutCqColumns(*b, r));
  }
  return out;
}

std::map<std::string, std::vector<std::string>> CollectingSink::AllEvents() const {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& m : messages()) {
    if (auto* ins = std::get_if<message::Insert>(&m)) {
      auto& events = out[ins->table->name];
      for (int64_t r = 0; r < ins->batch->num_rows(); ++r) {
        events.push_back(RowWithoutCqColumns(*ins->batch, r));
      }
    } else if (auto* cp = std::get_if<message::Checkpoint>(&m)) {
      out[cp->key].push_back("checkpoint " + cp->value);
    }
  }
  return out;
}

std::vector<std::string> CollectingSink::Events(std::string_view key) const {
  auto all = AllEvents();
  auto it = all.find(std::string(key));
  return it == all.end() ? std::vector<std::string>{} : std::move(it->second);
}

std::vector<std::string> CollectingSink::Brief(std::string_view table,
                                               std::string_view column) const {
  std::vector<std::string> out;
  for (const auto& e : Events(table)) {
    out.push_back(
        e.starts_with("checkpoint ") ? e : nlohmann::json::parse(e)[std::string(column)].dump());
  }
  return out;
}

std::vector<std::string> CollectingSink::Errors() const {
  std::vector<std::string> out;
  for (const auto& m : messages()) {
    if (auto* err = std::get_if<message::TableError>(&m)) {
      out.push_back(err->table_name + ": " + err->error);
    }
  }
  return out;
}

}  // namespace quarry::testing
