#include "quarry/plugin/destination.h"

namespace quarry::plugin {

BatchOptions ReadBatchOptions(SpecReader& reader, BatchOptions defaults) {
  BatchOptions o;
  o.batch_size = reader.Int("batch_size", defaults.batch_size, 1);
  o.batch_size_bytes = reader.Bytes("batch_size_bytes", defaults.batch_size_bytes);
  o.batch_timeout_us = reader.DurationMicros("batch_timeout", defaults.batch_timeout_us);
  return o;
}

}  // namespace quarry::plugin
