#!/usr/bin/env node
// Arrow IPC stream cross-check between apache-arrow (JS) and Quarry (C++).
//
//   node arrow_check.mjs read <file.arrows|-> [--expect <canon.json>] [--compact]
//                                             [--one-batch | --no-batch] [--no-framing-check]
//       Decodes an IPC *stream* file and prints its canonical JSON (lib/canon.mjs).
//       Before decoding, the raw framing is checked (continuation markers,
//       8-byte alignment, metadata V5, EOS marker, no dictionaries/compression).
//       --expect: compare against a canonical JSON file; exit 1 on any difference.
//       --one-batch / --no-batch: require exactly one / zero record batches
//       (a CloudQuery record / a CloudQuery table schema).
//
//   node arrow_check.mjs write <out.arrows> [--json-out <canon.json>] [--schema-only] [--compact]
//       Writes a stream with one record batch holding a column of every type
//       Quarry supports (see COLUMNS below) and prints the canonical JSON of
//       what was written (re-read from the bytes and checked against the
//       intended values) to stdout, and to --json-out if given.
//       --schema-only: write only the schema message + EOS (like a table in
//       GetTables / migrate_table); the JSON then has no rows.
//
//   node arrow_check.mjs compare <a.json> <b.json>
//       Exit 1 and print the first difference if the two canonical JSONs differ.
//
// Exit codes: 0 ok, 1 mismatch / invalid data, 2 usage error.

import fs from 'node:fs';
import {
  Schema, Field, Bool, Int8, Int16, Int32, Int64, Uint8, Uint16, Uint32, Uint64, Float32, Float64,
  Utf8, Binary, FixedSizeBinary, TimestampMicrosecond, DateDay, List,
} from 'apache-arrow';
import { encodeRecord, encodeSchema } from './lib/build.mjs';
import { describeIpc, firstDifference, CheckError } from './lib/canon.mjs';

function die(msg, code = 1) {
  process.stderr.write(`arrow_check: ${msg}\n`);
  process.exit(code);
}

function usage() {
  die('usage: arrow_check.mjs read <file.arrows|-> [--expect F] [--compact] [--one-batch|--no-batch] [--no-framing-check]\n'
    + '       arrow_check.mjs write <out.arrows> [--json-out F] [--schema-only] [--compact]\n'
    + '       arrow_check.mjs compare <a.json> <b.json>', 2);
}

function opt(args, name) {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  if (i + 1 >= args.length) usage();
  return args[i + 1];
}

const print = (obj, compact) => JSON.stringify(obj, null, compact ? 0 : 2);

// ---------------------------------------------------------------------------
// The reference data set. Values are given in canonical JSON form; the writer
// converts them to Arrow buffers, and the written bytes are re-read and
// compared with this, so the printed JSON is exactly what the file holds.

const TRUE = 'true', FALSE = 'false';
const md = (o) => new Map(Object.entries(o));
const ext = (name) => ({ 'ARROW:extension:name': name, 'ARROW:extension:metadata': `${name}-serialized` });

// name, arrow type, nullable, field metadata, canonical values (one per row)
const N = 4;
const COLUMNS = [
  ['id', new Int64(), false, { 'cq:extension:primary_key': TRUE, 'cq:extension:unique': FALSE, 'cq:extension:incremental': FALSE },
    ['1', '2', '3', '-9223372036854775808']],
  ['c_bool', new Bool(), true, {}, [true, false, null, true]],
  ['c_int8', new Int8(), true, {}, [-128, 127, null, 0]],
  ['c_int16', new Int16(), true, {}, [-32768, 32767, null, 7]],
  ['c_int32', new Int32(), true, {}, [-2147483648, 2147483647, null, -1]],
  ['c_int64', new Int64(), true, {}, ['-9223372036854775808', '9223372036854775807', null, '42']],
  ['c_uint8', new Uint8(), true, {}, [0, 255, null, 1]],
  ['c_uint16', new Uint16(), true, {}, [0, 65535, null, 2]],
  ['c_uint32', new Uint32(), true, {}, [0, 4294967295, null, 3]],
  ['c_uint64', new Uint64(), true, {}, ['0', '18446744073709551615', null, '4']],
  ['c_float32', new Float32(), true, {}, [1.5, -0.25, null, 3.4028234663852886e38]],
  ['c_float64', new Float64(), true, {}, [3.141592653589793, -1e-300, null, 'NaN']],
  ['c_utf8', new Utf8(), true, {}, ['hello', '', null, 'grüße, 世界 🌍']],
  ['c_binary', new Binary(), true, {}, ['AAEC/w==', '', null, 'aGk=']],
  ['c_timestamp', new TimestampMicrosecond('UTC'), true, {}, ['1700000000123456', '0', null, '-1']],
  ['c_date32', new DateDay(), true, {}, [19675, 0, null, -1]],
  ['c_uuid', new FixedSizeBinary(16), true, ext('uuid'),
    ['8f14e45f-ceea-467f-a0e6-7ed4f0b1c2d3', '00000000-0000-0000-0000-000000000000', null, 'ffffffff-ffff-ffff-ffff-ffffffffffff']],
  ['c_json', new Binary(), true, ext('json'),
    [b64s('{"a":1,"b":[true,null]}'), b64s('[]'), null, b64s('"str"')]],
  ['c_inet', new Binary(), true, ext('inet'), [b64s('192.168.0.1/24'), b64s('::1/128'), null, b64s('10.0.0.1/32')]],
  ['c_mac', new Binary(), true, ext('mac'), ['ABEiM0RV', 'qrvM3e7/', null, 'AAAAAAAA']],
  ['c_list_int64', new List(new Field('item', new Int64(), true)), true, {},
    [['1', '2', '3'], [], null, ['9223372036854775807', null]]],
  ['c_list_utf8', new List(new Field('item', new Utf8(), true)), true, {},
    [['a', 'b'], [], null, [null, '']]],
];
const SCHEMA_METADATA = { 'cq:table_name': 'arrow_check', 'cq:table_description': 'every type Quarry supports' };

function b64s(s) { return Buffer.from(s, 'utf8').toString('base64'); }

function referenceSchema() {
  const fields = COLUMNS.map(([name, type, nullable, fmd]) => new Field(name, type, nullable, md(fmd)));
  return new Schema(fields, md(SCHEMA_METADATA));
}

function referenceBytes(schemaOnly) {
  const schema = referenceSchema();
  if (schemaOnly) return encodeSchema(schema);
  const rows = [];
  for (let i = 0; i < N; i++) rows.push(Object.fromEntries(COLUMNS.map(([name, , , , vals]) => [name, vals[i]])));
  return encodeRecord(schema, rows);
}

function sortedObj(o) {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
}

function intendedCanon(schemaOnly, typeStrings) {
  const rows = [];
  if (!schemaOnly) {
    for (let i = 0; i < N; i++) rows.push(Object.fromEntries(COLUMNS.map(([name, , , , vals]) => [name, vals[i]])));
  }
  return {
    schema: {
      metadata: sortedObj(SCHEMA_METADATA),
      fields: COLUMNS.map(([name, , nullable, fmd], k) => ({ name, type: typeStrings[k], nullable, metadata: sortedObj(fmd) })),
    },
    num_batches: schemaOnly ? 0 : 1,
    num_rows: rows.length,
    rows,
  };
}

const EXPECTED_TYPES = [
  'int64', 'bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64',
  'float32', 'float64', 'utf8', 'binary', 'timestamp[us, tz=UTC]', 'date32', 'fixed_size_binary[16]',
  'binary', 'binary', 'binary', 'list<int64>', 'list<utf8>',
];

// ---------------------------------------------------------------------------

function readJSONFile(p) {
  try {
    return JSON.parse(fs.readFileSync(p, 'utf8'));
  } catch (e) {
    die(`cannot read JSON ${p}: ${e.message}`, 2);
  }
}

function main() {
  const [cmd, ...args] = process.argv.slice(2);
  const compact = args.includes('--compact');
  try {
    if (cmd === 'read') {
      const file = args[0];
      if (!file || file.startsWith('--')) usage();
      const bytes = file === '-' ? fs.readFileSync(0) : fs.readFileSync(file);
      const canon = describeIpc(new Uint8Array(bytes), {
        framing: !args.includes('--no-framing-check'),
        oneBatch: args.includes('--one-batch'),
        noBatch: args.includes('--no-batch'),
      });
      process.stdout.write(print(canon, compact) + '\n');
      const expect = opt(args, '--expect');
      if (expect) {
        const d = firstDifference(canon, readJSONFile(expect));
        if (d) die(`MISMATCH against ${expect} (left = ${file}, right = expected): ${d}`);
        process.stderr.write(`arrow_check: ${file} matches ${expect}\n`);
      }
    } else if (cmd === 'write') {
      const out = args[0];
      if (!out || out.startsWith('--')) usage();
      const schemaOnly = args.includes('--schema-only');
      const bytes = referenceBytes(schemaOnly);
      fs.writeFileSync(out, bytes);
      const canon = describeIpc(bytes, { oneBatch: !schemaOnly, noBatch: schemaOnly });
      const d = firstDifference(canon, intendedCanon(schemaOnly, EXPECTED_TYPES));
      if (d) die(`self-check failed: apache-arrow wrote something other than intended: ${d}`);
      const text = print(canon, compact) + '\n';
      const jsonOut = opt(args, '--json-out');
      if (jsonOut) fs.writeFileSync(jsonOut, text);
      process.stdout.write(text);
    } else if (cmd === 'compare') {
      if (args.length < 2) usage();
      const d = firstDifference(readJSONFile(args[0]), readJSONFile(args[1]));
      if (d) die(`MISMATCH (left = ${args[0]}, right = ${args[1]}): ${d}`);
      process.stderr.write('arrow_check: identical\n');
    } else {
      usage();
    }
  } catch (e) {
    if (e instanceof CheckError) die(e.message);
    die(e.stack ?? String(e));
  }
}

main();
