// Canonical, language-neutral JSON description of Arrow IPC streams, plus a
// framing-level checker of the IPC stream format CloudQuery protocol v3 uses.
//
// Canonical form (see describeTable):
//   {
//     "schema": {
//       "metadata": { <key>: <value>, ... },            // keys sorted
//       "fields": [ { "name": ..., "type": <type string>, "nullable": bool,
//                     "metadata": { ... } }, ... ]     // field order kept, keys sorted
//     },
//     "num_batches": N,
//     "num_rows": N,
//     "rows": [ { <column>: <value>, ... }, ... ]       // column order = field order
//   }
//
// Type strings (storage type only; extensions show up in field metadata):
//   bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64,
//   float16, float32, float64, utf8, large_utf8, binary, large_binary,
//   fixed_size_binary[N], date32, date64, timestamp[s|ms|us|ns] or
//   timestamp[us, tz=UTC], time32[s|ms], time64[us|ns], decimal128(p, s),
//   list<T>, large_list<T>, fixed_size_list<T>[N], struct<a: T, b: U>, map<K, V>,
//   null. Anything else: "unsupported:<arrow-js toString()>".
//
// Values:
//   null -> null; bool -> true/false; int8..int32, uint8..uint32 -> number;
//   every value held in a 64-bit integer -> decimal STRING (always, even when
//   small): int64, uint64, timestamp, date64, time64; this keeps JSON exact;
//   float16/32/64 -> number, or "NaN" / "Infinity" / "-Infinity";
//   utf8 -> string; binary (incl. json/inet/mac extensions) -> base64 string;
//   fixed_size_binary with ARROW:extension:name=uuid -> "8-4-4-4-12" lower-case hex,
//   other fixed_size_binary -> base64;
//   timestamp -> integer MICROseconds since the epoch as a decimal string (any
//   unit is converted; ns that are not a whole number of us throw);
//   date32 -> number of days since the epoch; date64 -> string, milliseconds;
//   time32 -> number, time64 -> string, both in the column's own unit;
//   decimal -> unscaled integer as decimal string;
//   list -> JSON array of element values; struct -> object; map -> array of [k, v].

import { Type, TimeUnit, DateUnit, Precision, tableFromIPC } from 'apache-arrow';

export class CheckError extends Error {}

function sortedObject(map) {
  const out = {};
  if (!map) return out;
  const keys = [...map.keys()].sort();
  for (const k of keys) out[k] = map.get(k);
  return out;
}

const UNIT = { [TimeUnit.SECOND]: 's', [TimeUnit.MILLISECOND]: 'ms', [TimeUnit.MICROSECOND]: 'us', [TimeUnit.NANOSECOND]: 'ns' };

export function typeString(t) {
  switch (t.typeId) {
    case Type.Null: return 'null';
    case Type.Bool: return 'bool';
    case Type.Int: return `${t.isSigned ? 'int' : 'uint'}${t.bitWidth}`;
    case Type.Float:
      return t.precision === Precision.HALF ? 'float16' : t.precision === Precision.SINGLE ? 'float32' : 'float64';
    case Type.Utf8: return 'utf8';
    case Type.LargeUtf8: return 'large_utf8';
    case Type.Binary: return 'binary';
    case Type.LargeBinary: return 'large_binary';
    case Type.FixedSizeBinary: return `fixed_size_binary[${t.byteWidth}]`;
    case Type.Date: return t.unit === DateUnit.DAY ? 'date32' : 'date64';
    case Type.Timestamp: return t.timezone ? `timestamp[${UNIT[t.unit]}, tz=${t.timezone}]` : `timestamp[${UNIT[t.unit]}]`;
    case Type.Time: return `time${t.bitWidth}[${UNIT[t.unit]}]`;
    case Type.Decimal: return `decimal${t.bitWidth}(${t.precision}, ${t.scale})`;
    case Type.List: return `list<${typeString(t.children[0].type)}>`;
    case Type.LargeList: return `large_list<${typeString(t.children[0].type)}>`;
    case Type.FixedSizeList: return `fixed_size_list<${typeString(t.children[0].type)}>[${t.listSize}]`;
    case Type.Struct: return `struct<${t.children.map((f) => `${f.name}: ${typeString(f.type)}`).join(', ')}>`;
    case Type.Map: {
      const kv = t.children[0].type.children;
      return `map<${typeString(kv[0].type)}, ${typeString(kv[1].type)}>`;
    }
    default: return `unsupported:${String(t)}`;
  }
}

export function uuidString(bytes) {
  const h = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function b64(bytes) {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function floatJSON(v) {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (Object.is(v, -0)) return 0;
  return v;
}

function tsToMicros(v, unit) {
  const b = BigInt(v);
  switch (unit) {
    case TimeUnit.SECOND: return b * 1000000n;
    case TimeUnit.MILLISECOND: return b * 1000n;
    case TimeUnit.MICROSECOND: return b;
    case TimeUnit.NANOSECOND:
      if (b % 1000n !== 0n) throw new CheckError(`timestamp[ns] value ${b} is not a whole number of microseconds`);
      return b / 1000n;
  }
  throw new CheckError(`unknown time unit ${unit}`);
}


// Value at index i of an arrow-js Data object (buffers already sliced to the
// Data's window, except the validity and bool bitmaps, which use data.offset).
export function valueAt(data, i, field) {
  if (!data.getValid(i)) return null;
  const t = data.type;
  switch (t.typeId) {
    case Type.Null: return null;
    case Type.Bool: {
      const idx = data.offset + i;
      return (data.values[idx >> 3] & (1 << (idx & 7))) !== 0;
    }
    case Type.Int:
      return t.bitWidth === 64 ? BigInt(data.values[i]).toString() : Number(data.values[i]);
    case Type.Float:
      if (t.precision === Precision.HALF) {
        // decode IEEE half
        const h = data.values[i];
        const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
        if (e === 0) return floatJSON(s * m * 2 ** -24);
        if (e === 31) return floatJSON(m ? NaN : s * Infinity);
        return floatJSON(s * (1 + m / 1024) * 2 ** (e - 15));
      }
      return floatJSON(data.values[i]);
    case Type.Utf8: case Type.LargeUtf8: case Type.Binary: case Type.LargeBinary: {
      const a = Number(data.valueOffsets[i]), b = Number(data.valueOffsets[i + 1]);
      const bytes = data.values.subarray(a, b);
      if (t.typeId === Type.Utf8 || t.typeId === Type.LargeUtf8) return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      return b64(bytes);
    }
    case Type.FixedSizeBinary: {
      const w = t.byteWidth;
      const bytes = data.values.subarray(i * w, (i + 1) * w);
      const ext = field?.metadata?.get('ARROW:extension:name');
      if (ext === 'uuid' && w === 16) return uuidString(bytes);
      return b64(bytes);
    }
    case Type.Date:
      return t.unit === DateUnit.DAY ? Number(data.values[i]) : BigInt(data.values[i]).toString();
    case Type.Timestamp:
      return tsToMicros(data.values[i], t.unit).toString();
    case Type.Time:
      return t.bitWidth === 64 ? BigInt(data.values[i]).toString() : Number(data.values[i]);
    case Type.Decimal: {
      // values is Uint32Array, little-endian words, two's complement
      const words = t.bitWidth / 32;
      let v = 0n;
      for (let k = words - 1; k >= 0; k--) v = (v << 32n) | BigInt(data.values[i * words + k]);
      if (v >> BigInt(t.bitWidth - 1)) v -= 1n << BigInt(t.bitWidth);
      return v.toString();
    }
    case Type.List: case Type.LargeList: case Type.Map: {
      const a = Number(data.valueOffsets[i]), b = Number(data.valueOffsets[i + 1]);
      const child = data.children[0];
      const childField = t.children[0];
      const out = [];
      for (let k = a; k < b; k++) {
        const v = valueAt(child, k, childField);
        out.push(t.typeId === Type.Map ? Object.values(v) : v);
      }
      return out;
    }
    case Type.FixedSizeList: {
      const n = t.listSize, child = data.children[0], out = [];
      for (let k = i * n; k < (i + 1) * n; k++) out.push(valueAt(child, k, t.children[0]));
      return out;
    }
    case Type.Struct: {
      const out = {};
      t.children.forEach((f, k) => { out[f.name] = valueAt(data.children[k], i, f); });
      return out;
    }
    default:
      throw new CheckError(`cannot render values of type ${String(t)}`);
  }
}

export function describeSchema(schema) {
  return {
    metadata: sortedObject(schema.metadata),
    fields: schema.fields.map((f) => ({
      name: f.name,
      type: typeString(f.type),
      nullable: f.nullable,
      metadata: sortedObject(f.metadata),
    })),
  };
}

// table: an apache-arrow Table (e.g. from tableFromIPC)
export function describeTable(table) {
  const schema = table.schema;
  const rows = [];
  for (const batch of table.batches) {
    const cols = schema.fields.map((_, k) => batch.data.children[k]);
    for (let i = 0; i < batch.numRows; i++) {
      const row = {};
      schema.fields.forEach((f, k) => { row[f.name] = valueAt(cols[k], i, f); });
      rows.push(row);
    }
  }
  return {
    schema: describeSchema(schema),
    num_batches: table.batches.length,
    num_rows: rows.length,
    rows,
  };
}

// ---------------------------------------------------------------------------
// IPC framing check. Walks the stream message by message without trusting the
// arrow-js reader: continuation markers, 8-byte-aligned metadata, metadata
// version V5, message kinds, body lengths, no compression, end-of-stream marker
// at the very end. Returns { messages: ['schema', 'record_batch', ...] } or throws.

const HEADER = { 1: 'schema', 2: 'dictionary_batch', 3: 'record_batch', 4: 'tensor', 5: 'sparse_tensor' };

function fbTable(buf, pos) {
  // returns accessor for a flatbuffer table at absolute pos
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const vt = pos - dv.getInt32(pos, true);
  const vtLen = dv.getUint16(vt, true);
  const fieldOff = (idx) => {
    const o = 4 + 2 * idx;
    if (o >= vtLen) return 0;
    return dv.getUint16(vt + o, true);
  };
  return {
    has: (idx) => fieldOff(idx) !== 0,
    u8: (idx, d = 0) => (fieldOff(idx) ? dv.getUint8(pos + fieldOff(idx)) : d),
    i16: (idx, d = 0) => (fieldOff(idx) ? dv.getInt16(pos + fieldOff(idx), true) : d),
    i64: (idx, d = 0n) => (fieldOff(idx) ? dv.getBigInt64(pos + fieldOff(idx), true) : d),
    table: (idx) => {
      const o = fieldOff(idx);
      if (!o) return null;
      const p = pos + o;
      return fbTable(buf, p + dv.getUint32(p, true));
    },
  };
}

export function checkIpcFraming(bytes, { requireOneBatch = false, requireNoBatch = false } = {}) {
  const buf = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const messages = [];
  let pos = 0;
  for (;;) {
    if (pos + 8 > buf.length) throw new CheckError(`IPC: stream ends at byte ${pos} without the end-of-stream marker (0xFFFFFFFF 0x00000000)`);
    const cont = dv.getUint32(pos, true);
    if (cont !== 0xffffffff) throw new CheckError(`IPC: expected continuation marker 0xFFFFFFFF at byte ${pos}, got 0x${cont.toString(16)}`);
    const metaLen = dv.getInt32(pos + 4, true);
    if (metaLen === 0) {
      pos += 8;
      break;
    }
    if (metaLen < 0 || pos + 8 + metaLen > buf.length) throw new CheckError(`IPC: bad metadata length ${metaLen} at byte ${pos}`);
    if ((8 + metaLen) % 8 !== 0) throw new CheckError(`IPC: message at byte ${pos} has metadata length ${metaLen}; 8 + length must be a multiple of 8 so the body is 8-byte aligned`);
    const metaStart = pos + 8;
    const meta = buf.subarray(metaStart, metaStart + metaLen);
    const root = fbTable(meta, new DataView(meta.buffer, meta.byteOffset, meta.byteLength).getUint32(0, true));
    const version = root.i16(0, 0);
    if (version !== 4) throw new CheckError(`IPC: message ${messages.length} has metadata version ${version} (V${version + 1}); V5 required`);
    const kind = HEADER[root.u8(1, 0)] ?? `unknown(${root.u8(1, 0)})`;
    const bodyLen = Number(root.i64(3, 0n));
    if (bodyLen % 8 !== 0) throw new CheckError(`IPC: ${kind} message body length ${bodyLen} is not a multiple of 8`);
    if (kind === 'dictionary_batch') throw new CheckError('IPC: dictionary batches are not allowed');
    if (kind === 'record_batch') {
      const rb = root.table(2);
      if (rb && rb.has(3)) throw new CheckError('IPC: record batch uses body compression; none allowed');
    }
    if (messages.length === 0 && kind !== 'schema') throw new CheckError(`IPC: first message is ${kind}, expected schema`);
    if (messages.length > 0 && kind === 'schema') throw new CheckError('IPC: second schema message in one stream');
    messages.push(kind);
    pos = metaStart + metaLen + bodyLen;
    if (pos > buf.length) throw new CheckError(`IPC: ${kind} body runs past the end of the stream`);
  }
  if (pos !== buf.length) throw new CheckError(`IPC: ${buf.length - pos} trailing bytes after the end-of-stream marker`);
  const nb = messages.filter((m) => m === 'record_batch').length;
  if (requireOneBatch && nb !== 1) throw new CheckError(`IPC: record must hold exactly one record batch, found ${nb}`);
  if (requireNoBatch && nb !== 0) throw new CheckError(`IPC: table schema stream must hold no record batch, found ${nb}`);
  return { messages };
}

// Framing check + decode + canonical JSON of one IPC stream (Uint8Array).
// apache-arrow reports one empty batch for a schema-only stream, so the batch
// count comes from the framing walk whenever that runs.
export function describeIpc(bytes, { framing = true, oneBatch = false, noBatch = false } = {}) {
  const buf = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const fr = framing ? checkIpcFraming(buf, { requireOneBatch: oneBatch, requireNoBatch: noBatch }) : null;
  let table;
  try {
    table = tableFromIPC(buf);
  } catch (e) {
    throw new CheckError(`apache-arrow could not decode the stream: ${e.message}`);
  }
  const canon = describeTable(table);
  if (fr) {
    canon.num_batches = fr.messages.filter((m) => m === 'record_batch').length;
  } else {
    if (oneBatch && table.batches.length !== 1) throw new CheckError(`expected exactly one record batch, found ${table.batches.length}`);
    if (noBatch && canon.num_rows !== 0) throw new CheckError(`expected no record batch, found ${canon.num_rows} rows`);
  }
  return canon;
}

// ---------------------------------------------------------------------------
// Deep comparison with a readable first-difference path.

export function firstDifference(a, b, path = '$') {
  if (a === b) return null;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') {
    return `${path}: ${JSON.stringify(a)} != ${JSON.stringify(b)}`;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return `${path}: array vs object`;
  if (Array.isArray(a)) {
    if (a.length !== b.length) return `${path}: length ${a.length} != ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  const ka = Object.keys(a), kb = Object.keys(b);
  for (const k of ka) if (!(k in b)) return `${path}.${k}: present only on the left (${JSON.stringify(a[k])})`;
  for (const k of kb) if (!(k in a)) return `${path}.${k}: present only on the right (${JSON.stringify(b[k])})`;
  // key order matters for fields/rows readability only; compare by key
  for (const k of ka) {
    const d = firstDifference(a[k], b[k], `${path}.${k}`);
    if (d) return d;
  }
  return null;
}
