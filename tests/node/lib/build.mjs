// Build Arrow IPC streams from canonical values (the inverse of lib/canon.mjs):
// encodeRecord(schema, rows) -> Uint8Array (schema + one batch + EOS),
// encodeSchema(schema) -> Uint8Array (schema + EOS, no batch).
// Supported storage types: bool, int8..64, uint8..64, float32/64, utf8,
// binary, fixed_size_binary[N] (uuid text when the field is a uuid extension,
// base64 otherwise), timestamp (canonical value = microseconds, any unit),
// date32, list<T> of any of these.

import {
  makeData, RecordBatch, Table, Struct, RecordBatchStreamWriter, tableToIPC,
  Type, Precision, TimeUnit, DateUnit,
} from 'apache-arrow';

function validity(values) {
  const bm = new Uint8Array(Math.ceil(values.length / 8) || 1);
  let nulls = 0;
  values.forEach((v, i) => { if (v === null || v === undefined) nulls++; else bm[i >> 3] |= 1 << (i & 7); });
  return { nullBitmap: nulls ? bm : undefined, nullCount: nulls };
}

const isNull = (v) => v === null || v === undefined;

function floatIn(v) {
  return v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : Number(v);
}

function uuidBytes(s) {
  const h = String(s).replace(/-/g, '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(h)) throw new Error(`bad uuid ${s}`);
  return Uint8Array.from(Buffer.from(h, 'hex'));
}

function microsToUnit(v, unit) {
  const b = BigInt(v);
  switch (unit) {
    case TimeUnit.SECOND: return b / 1000000n;
    case TimeUnit.MILLISECOND: return b / 1000n;
    case TimeUnit.MICROSECOND: return b;
    default: return b * 1000n;
  }
}

function varWidth(type, values, toBytes) {
  const offs = new Int32Array(values.length + 1);
  const chunks = [];
  let n = 0;
  values.forEach((v, i) => {
    const b = isNull(v) ? new Uint8Array() : toBytes(v);
    chunks.push(b);
    n += b.length;
    offs[i + 1] = n;
  });
  const data = new Uint8Array(n);
  let p = 0;
  for (const c of chunks) { data.set(c, p); p += c.length; }
  return makeData({ type, length: values.length, ...validity(values), valueOffsets: offs, data });
}

// field: apache-arrow Field (its metadata decides uuid rendering)
export function buildData(field, values) {
  const type = field.type;
  const v = validity(values);
  const len = values.length;
  switch (type.typeId) {
    case Type.Bool: {
      const data = new Uint8Array(Math.ceil(len / 8) || 1);
      values.forEach((x, i) => { if (x === true) data[i >> 3] |= 1 << (i & 7); });
      return makeData({ type, length: len, ...v, data });
    }
    case Type.Int:
      if (type.bitWidth === 64) {
        const A = type.isSigned ? BigInt64Array : BigUint64Array;
        return makeData({ type, length: len, ...v, data: A.from(values, (x) => (isNull(x) ? 0n : BigInt(x))) });
      }
      return makeData({ type, length: len, ...v, data: type.ArrayType.from(values, (x) => (isNull(x) ? 0 : Number(x))) });
    case Type.Float:
      if (type.precision === Precision.HALF) throw new Error('float16 not supported by the builder');
      return makeData({ type, length: len, ...v, data: type.ArrayType.from(values, (x) => (isNull(x) ? 0 : floatIn(x))) });
    case Type.Utf8:
      return varWidth(type, values, (x) => new TextEncoder().encode(x));
    case Type.Binary:
      return varWidth(type, values, (x) => Uint8Array.from(Buffer.from(x, 'base64')));
    case Type.FixedSizeBinary: {
      const w = type.byteWidth;
      const isUuid = field.metadata?.get('ARROW:extension:name') === 'uuid';
      const data = new Uint8Array(len * w);
      values.forEach((x, i) => {
        if (isNull(x)) return;
        const b = isUuid ? uuidBytes(x) : Uint8Array.from(Buffer.from(x, 'base64'));
        if (b.length !== w) throw new Error(`value of ${b.length} bytes for fixed_size_binary[${w}]`);
        data.set(b, i * w);
      });
      return makeData({ type, length: len, ...v, data });
    }
    case Type.Timestamp:
      return makeData({ type, length: len, ...v, data: BigInt64Array.from(values, (x) => (isNull(x) ? 0n : microsToUnit(x, type.unit))) });
    case Type.Date:
      if (type.unit !== DateUnit.DAY) throw new Error('date64 not supported by the builder');
      return makeData({ type, length: len, ...v, data: Int32Array.from(values, (x) => (isNull(x) ? 0 : Number(x))) });
    case Type.List: {
      const offs = new Int32Array(len + 1);
      const flat = [];
      values.forEach((x, i) => { if (!isNull(x)) flat.push(...x); offs[i + 1] = flat.length; });
      const child = buildData(type.children[0], flat);
      return makeData({ type, length: len, ...v, valueOffsets: offs, child });
    }
    default:
      throw new Error(`builder: unsupported type ${String(type)}`);
  }
}

// rows: array of objects keyed by column name, canonical values
export function encodeRecord(schema, rows) {
  const children = schema.fields.map((f) => buildData(f, rows.map((r) => (f.name in r ? r[f.name] : null))));
  const batch = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children }));
  return tableToIPC(new Table([batch]), 'stream');
}

export function encodeSchema(schema) {
  // tableToIPC(new Table(schema)) would add an empty batch; write the schema alone.
  const w = new RecordBatchStreamWriter();
  w.reset(undefined, schema);
  w.finish();
  return w.toUint8Array(true);
}
