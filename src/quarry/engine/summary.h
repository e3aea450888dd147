// The `cloudquery_sync_summaries` table that send_sync_summary writes one row per pair into
// (internal to the engine; SummaryJson, the --summary-location record, is in engine.h).
#pragma once

#include "quarry/engine/engine.h"
#include "quarry/types/record_batch.h"

namespace quarry::engine {

// The table, with the _cq_* columns (`_cq_id` its only key when `cq_id_only`).
Result<schema::TablePtr> SummaryTable(bool cq_id_only);

// One row of `table` (SummaryTable's) for `pair`, built column by column: the same values as
// SummaryJson, the per-table maps and source_tables as JSON text.
Result<types::RecordBatchPtr> SummaryRow(const schema::Table& table, const SyncResult& result,
                                         const PairSummary& pair);

}  // namespace quarry::engine
