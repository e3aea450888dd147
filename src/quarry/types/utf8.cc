#include "quarry/types/utf8.h"

#include <fmt/format.h>

#include <cstring>

namespace quarry::types {

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    // ASCII runs, eight bytes at a time.
    if (end - p >= 8) {
      uint64_t chunk;
      std::memcpy(&chunk, p, 8);
      if ((chunk & 0x8080808080808080ull) == 0) {
        p += 8;
        continue;
      }
    }
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int n;
    uint32_t min, cp;
    if ((c & 0xE0) == 0xC0) {
      n = 1, min = 0x80, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, min = 0x800, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, min = 0x10000, cp = c & 0x07;
    } else {
      return false;
    }
    if (end - p <= n) return false;
    for (int k = 1; k <= n; ++k) {
      if ((p[k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    p += n + 1;
  }
  return true;
}

namespace {

bool IsText(TypeId id) {
  return id == TypeId::kUtf8 || id == TypeId::kJson || id == TypeId::kInet || id == TypeId::kMac;
}

// The first invalid value of `a` (a text array, or a list of them), or -1.
int64_t FirstInvalid(const Array& a) {
  const TypeId id = a.type()->id();
  if (id == TypeId::kList) {
    const Array& child = a.child();
    if (!IsText(child.type()->id())) return -1;
    for (int64_t i = 0; i < a.length(); ++i) {
      if (a.IsNull(i)) continue;
      for (int32_t k = a.list_offset(i); k < a.list_offset(i + 1); ++k) {
        if (!child.IsNull(k) && !IsValidUtf8(child.GetView(k))) return i;
      }
    }
    return -1;
  }
  if (!IsText(id)) return -1;
  // Fast path: values are contiguous, so when the whole data buffer is valid and no value starts
  // inside a multi-byte sequence (with a continuation byte), every value is valid on its own.
  const BufferPtr& data = a.data_buffer();
  if (data == nullptr || data->size() == 0) return -1;
  const std::string_view all(reinterpret_cast<const char*>(data->data()),
                             static_cast<size_t>(data->size()));
  if (IsValidUtf8(all)) {
    bool split = false;
    for (int64_t i = 0; i < a.length() && !split; ++i) {
      const std::string_view v = a.GetView(i);
      split = !v.empty() && (static_cast<unsigned char>(v[0]) & 0xC0) == 0x80;
    }
    if (!split) return -1;
  }
  for (int64_t i = 0; i < a.length(); ++i) {
    if (!a.IsNull(i) && !IsValidUtf8(a.GetView(i))) return i;
  }
  return -1;
}

}  // namespace

Status CheckUtf8(const RecordBatch& batch, int64_t first_row) {
  for (int c = 0; c < batch.num_columns(); ++c) {
    const int64_t i = FirstInvalid(batch.column(c));
    if (i >= 0) {
      return Status::Invalid(fmt::format(
          "column {}, row {}: the text is not valid UTF-8, so it cannot be stored as text (nothing "
          "of this table is written from here on; declare the column as a blob at the source to "
          "sync raw bytes)",
          batch.schema()->fields()[static_cast<size_t>(c)].name, first_row + i));
    }
  }
  return Status::OK();
}

}  // namespace quarry::types
