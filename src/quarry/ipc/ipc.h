// Arrow IPC streams: the bytes CloudQuery's plugin protocol carries for every table and record.
//
// A stream is a Schema message, zero or more RecordBatch messages, and the end-of-stream marker
// (0xFFFFFFFF 0x00000000). Quarry writes MetadataVersion V5, little-endian, no compression, no
// dictionaries, each message's metadata padded so its body starts 8-byte aligned and every body
// buffer padded to 8 bytes. Extension types (uuid, json, inet, mac) travel as their storage type
// with `ARROW:extension:name` / `ARROW:extension:metadata` in the field's metadata; in Quarry's
// schemas they are types of their own and those two keys never appear in Field::metadata.
//
// The decoder treats its input as untrusted: every length, offset and count is checked against
// the bytes actually present before anything is read or allocated, so malformed input yields an
// error (naming the message and column) and never a crash or an allocation out of proportion to
// the input (at most a few times its size).
// Types outside Quarry's columnar core are converted where that loses nothing a destination keeps:
// timestamps of any unit or zone become timestamp[us, UTC], date64 becomes date32, large
// utf8/binary/list become their 32-bit-offset forms, fixed_size_binary(n != 16) becomes binary,
// an unknown extension type becomes its storage type. Anything else is an error naming the column.
//
// All functions are pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "quarry/base/status.h"
#include "quarry/types/record_batch.h"

namespace quarry::ipc {

// A stream holding only `schema` (how the protocol sends a table).
std::string EncodeSchema(const types::Schema& schema);

// A stream holding `batch`'s schema and the batch (how the protocol sends a record).
std::string EncodeRecord(const types::RecordBatch& batch);

// Writes a stream of several batches of one schema into a string.
// Not thread-safe.
class StreamWriter {
 public:
  explicit StreamWriter(const types::Schema& schema);
  // REQUIRES: batch.schema() has the fields of the schema given to the constructor.
  void Append(const types::RecordBatch& batch);
  // Adds the end-of-stream marker and returns the bytes; the writer is then spent.
  std::string Finish();

 private:
  std::string out_;
};

struct DecodedStream {
  types::SchemaPtr schema;
  std::vector<types::RecordBatchPtr> batches;
};

// Decodes a whole stream. The end-of-stream marker may be missing when the bytes end exactly
// after a message (as older writers do); anything after the marker is an error.
Result<DecodedStream> DecodeStream(std::string_view bytes);

// A stream that must carry a schema; record batches after it, if any, are not read.
Result<types::SchemaPtr> DecodeSchema(std::string_view bytes);

// A stream that must carry exactly one record batch.
Result<types::RecordBatchPtr> DecodeRecord(std::string_view bytes);

}  // namespace quarry::ipc
