#!/usr/bin/env node
// Drives a plugin served as
//   quarry plugin serve <plugin> --address 127.0.0.1:<port> --network tcp
// with the generated CloudQuery v3 JS clients (@cloudquery/plugin-pb-javascript)
// and checks the answers, decoding every Arrow payload with apache-arrow.
//
//   node drive_serve.mjs sqlite <addr> <sqlite_file> [--upsert] [common options]
//       Destination round trip: GetVersions has 3; GetName; Init with
//       {"connection_string": <sqlite_file>}; Write(migrate_table node_items,
//       insert x2 = 3 rows); Read(node_items) must give the same rows back
//       (any order, compared by id); Close.
//       --upsert: then a second Write (migrate again + a row with an existing
//       primary key) and Read must show 3 rows with the new value.
//
//   node drive_serve.mjs test <addr> [--spec JSON] [--table T] [--expect-rows N]
//                              [--expect-pks a,b] [--expect-columns a,b,c] [--ordered]
//                              [--allow-nullable-pks]
//                              [common options]
//       Source: GetVersions has 3; GetName; Init with --spec (default
//       {"num_rows": 5}); GetTables(["*"]) must list T (default
//       test_some_table) whose primary keys are --expect-pks (default
//       resource_id,client_id); Sync([T]) must end, every insert must be one
//       IPC stream with one batch, T must get --expect-rows rows (default 5)
//       whose columns are --expect-columns (default
//       _cq_id,_cq_parent_id,resource_id,client_id,column2; as a set unless
//       --ordered). Primary-key columns must be not-null unless
//       --allow-nullable-pks. Prints a summary; then Close.
//
// Common options: --timeout-ms N (per RPC, default 30000), --ready-ms N
// (how long to wait for the server to accept connections, default 15000),
// --expect-name NAME (GetName must answer NAME), --verbose (print decoded rows).
// Exit: 0 all checks passed, 1 a check failed (message on stderr), 2 usage.

import { Schema, Field, Int64, Utf8, FixedSizeBinary, TimestampMicrosecond, List } from 'apache-arrow';
import { encodeRecord, encodeSchema } from './lib/build.mjs';
import { v3, disc1, makeClients, waitReady, unary, serverStream, clientStream, statusName, closeClients } from './lib/cq.mjs';
import { describeIpc, describeSchema, firstDifference } from './lib/canon.mjs';

class Fail extends Error {}

const argv = process.argv.slice(2);
function opt(name, def) {
  const i = argv.indexOf(name);
  if (i < 0) return def;
  if (i + 1 >= argv.length) usage();
  return argv[i + 1];
}
const flag = (name) => argv.includes(name);
function usage() {
  process.stderr.write('usage: drive_serve.mjs sqlite <addr> <sqlite_file> [--upsert]\n'
    + '       drive_serve.mjs test <addr> [--spec JSON] [--table T] [--expect-rows N] [--expect-pks a,b] [--expect-columns a,b,c] [--ordered] [--allow-nullable-pks]\n'
    + '       common: [--timeout-ms N] [--ready-ms N] [--expect-name NAME] [--verbose]\n');
  process.exit(2);
}

const TIMEOUT = Number(opt('--timeout-ms', '30000'));
const READY = Number(opt('--ready-ms', '15000'));
const VERBOSE = flag('--verbose');
let step = 'start';

function ok(msg) { console.log(`ok   ${msg}`); }
function check(cond, msg) { if (!cond) throw new Fail(msg); }
async function at(name, fn) {
  step = name;
  try {
    return await fn();
  } catch (e) {
    if (e instanceof Fail) throw e;
    const code = e.code !== undefined ? ` [${statusName(e.code)}]` : '';
    throw new Fail(`${e.details ?? e.message}${code}`);
  }
}

async function handshake(c) {
  await at('connect', () => waitReady(c.plugin, READY));
  const versions = await at('Discovery.GetVersions', async () => (await unary(c.discovery, 'GetVersions', new disc1.GetVersions.Request(), TIMEOUT)).versions);
  check(Array.isArray(versions) && versions.includes(3), `GetVersions answered ${JSON.stringify(versions)}, which lacks 3`);
  ok(`Discovery.GetVersions -> ${JSON.stringify(versions)}`);
  const name = await at('GetName', async () => (await unary(c.plugin, 'GetName', new v3.GetName.Request(), TIMEOUT)).name);
  check(typeof name === 'string' && name.length > 0, 'GetName answered an empty name');
  const want = opt('--expect-name');
  if (want !== undefined) check(name === want, `GetName answered "${name}", expected "${want}"`);
  ok(`GetName -> "${name}"`);
  const version = await at('GetVersion', async () => (await unary(c.plugin, 'GetVersion', new v3.GetVersion.Request(), TIMEOUT)).version);
  ok(`GetVersion -> "${version}"`);
}

async function init(c, specObj) {
  const spec = Buffer.from(JSON.stringify(specObj));
  await at('Init', () => unary(c.plugin, 'Init', new v3.Init.Request({ spec, no_connection: false, invocation_id: '7f0b2c1e-3d4a-4b5c-8d6e-0f1a2b3c4d5e' }), TIMEOUT));
  ok(`Init ${JSON.stringify(specObj)}`);
}

async function closePlugin(c) {
  await at('Close', () => unary(c.plugin, 'Close', new v3.Close.Request(), TIMEOUT));
  ok('Close');
}

// ---------------------------------------------------------------------------
// sqlite: destination round trip

const ITEM_FIELDS = [
  new Field('_cq_id', new FixedSizeBinary(16), false, new Map([
    ['ARROW:extension:name', 'uuid'], ['ARROW:extension:metadata', 'uuid-serialized'],
    ['cq:extension:unique', 'true'], ['cq:extension:primary_key', 'false'],
  ])),
  new Field('id', new Int64(), false, new Map([['cq:extension:primary_key', 'true'], ['cq:extension:unique', 'false']])),
  new Field('name', new Utf8(), true, new Map()),
  new Field('tags', new List(new Field('item', new Utf8(), true)), true, new Map()),
  new Field('at', new TimestampMicrosecond('UTC'), true, new Map()),
];
const ITEM_SCHEMA = new Schema(ITEM_FIELDS, new Map([['cq:table_name', 'node_items'], ['cq:table_title', 'Node Items']]));
// The same table with `id` as text: what a client with a wrong idea of the table would send.
const ITEM_SCHEMA_WITH_TEXT_ID = () => new Schema(
  ITEM_FIELDS.map((f) => (f.name === 'id' ? new Field('id', new Utf8(), false, f.metadata) : f)),
  ITEM_SCHEMA.metadata);

const ROWS = [
  { _cq_id: '3b0a4f6e-8c1d-4e2f-9a3b-5c6d7e8f9a01', id: '1', name: 'alpha', tags: ['x', 'y'], at: '1700000000000000' },
  { _cq_id: '3b0a4f6e-8c1d-4e2f-9a3b-5c6d7e8f9a02', id: '2', name: null, tags: [], at: '1700000000000001' },
  { _cq_id: '3b0a4f6e-8c1d-4e2f-9a3b-5c6d7e8f9a03', id: '3', name: 'gamma – ünïcode 🚀', tags: null, at: null },
];
const UPSERT_ROW = { _cq_id: '3b0a4f6e-8c1d-4e2f-9a3b-5c6d7e8f9a22', id: '2', name: 'beta', tags: ['z'], at: '1700000000000002' };

function recordBytes(rows) {
  const bytes = encodeRecord(ITEM_SCHEMA, rows);
  // self-check: what we send decodes to what we mean
  const d = firstDifference(describeIpc(bytes, { oneBatch: true }).rows, rows);
  if (d) throw new Error(`internal: encoded record does not decode to the intended rows: ${d}`);
  return bytes;
}

async function readAll(c, tableBytes, label) {
  const msgs = await at(label, () => serverStream(c.plugin, 'Read', new v3.Read.Request({ table: tableBytes }), TIMEOUT));
  const rows = [];
  let schemaNote = null;
  const sent = describeSchema(ITEM_SCHEMA);
  msgs.forEach((m, k) => {
    let canon;
    try {
      canon = describeIpc(m.record, { oneBatch: true });
    } catch (e) {
      throw new Fail(`${label}: response ${k}: ${e.message}`);
    }
    const got = canon.schema;
    check(got.metadata['cq:table_name'] === 'node_items', `${label}: response ${k} has cq:table_name ${JSON.stringify(got.metadata['cq:table_name'])}`);
    const gotCols = got.fields.map((f) => `${f.name}:${f.type}`);
    const sentCols = sent.fields.map((f) => `${f.name}:${f.type}`);
    check(JSON.stringify(gotCols) === JSON.stringify(sentCols),
      `${label}: response ${k} columns ${JSON.stringify(gotCols)} differ from the table's ${JSON.stringify(sentCols)}`);
    const md = firstDifference(got, sent);
    if (md && !schemaNote) schemaNote = md;
    rows.push(...canon.rows);
  });
  if (schemaNote) console.log(`note ${label}: returned schema metadata differs from the one sent (not an error): ${schemaNote}`);
  rows.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : BigInt(a.id) > BigInt(b.id) ? 1 : 0));
  return { rows, messages: msgs.length };
}

async function runSqlite(addr, file) {
  const c = makeClients(addr);
  try {
    await handshake(c);
    await init(c, { connection_string: file });
    const table = encodeSchema(ITEM_SCHEMA);
    describeIpc(table, { noBatch: true });
    const reqs = [
      new v3.Write.Request({ migrate_table: new v3.Write.MessageMigrateTable({ table, migrate_force: false }) }),
      new v3.Write.Request({ insert: new v3.Write.MessageInsert({ record: recordBytes(ROWS.slice(0, 2)) }) }),
      new v3.Write.Request({ insert: new v3.Write.MessageInsert({ record: recordBytes(ROWS.slice(2)) }) }),
    ];
    await at('Write', () => clientStream(c.plugin, 'Write', reqs, TIMEOUT));
    ok(`Write: migrate_table node_items + 2 inserts (${ROWS.length} rows)`);

    const r1 = await readAll(c, table, 'Read');
    if (VERBOSE) console.log(JSON.stringify(r1.rows, null, 2));
    const d1 = firstDifference(r1.rows, ROWS, '$rows');
    check(!d1, `Read returned other rows than written (left = read, right = written): ${d1}`);
    ok(`Read: ${r1.rows.length} rows in ${r1.messages} record(s), identical to what was written`);

    if (flag('--upsert')) {
      await at('Write (upsert)', () => clientStream(c.plugin, 'Write', [
        new v3.Write.Request({ migrate_table: new v3.Write.MessageMigrateTable({ table, migrate_force: false }) }),
        new v3.Write.Request({ insert: new v3.Write.MessageInsert({ record: recordBytes([UPSERT_ROW]) }) }),
      ], TIMEOUT));
      ok('Write (upsert): migrate_table again + 1 row with primary key id=2');
      const want = [ROWS[0], UPSERT_ROW, ROWS[2]];
      const r2 = await readAll(c, table, 'Read (after upsert)');
      const d2 = firstDifference(r2.rows, want, '$rows');
      check(!d2, `Read after upsert (left = read, right = expected): ${d2}`);
      ok(`Read (after upsert): ${r2.rows.length} rows, id=2 replaced`);
    }
    if (flag('--bad-input')) {
      // Bad input: a truncated record and a record whose column type is not the table's. Each
      // Write fails with INVALID_ARGUMENT and a message that says what is wrong, nothing of it
      // lands, and the server goes on serving.
      const good = recordBytes([UPSERT_ROW]);
      const refused = async (label, record, pattern) => {
        let err = null;
        try {
          await clientStream(c.plugin, 'Write', [
            new v3.Write.Request({ insert: new v3.Write.MessageInsert({ record }) }),
          ], TIMEOUT);
        } catch (e) { err = e; }
        check(err, `${label}: Write succeeded`);
        check(statusName(err.code) === 'INVALID_ARGUMENT', `${label}: status ${statusName(err.code)}, expected INVALID_ARGUMENT (${err.details})`);
        check(pattern.test(err.details), `${label}: message "${err.details}" does not match ${pattern}`);
        ok(`${label}: INVALID_ARGUMENT "${err.details}"`);
      };
      await refused('Write (truncated record)', good.subarray(0, good.length - 40), /arrow ipc/);
      const wrongSchema = ITEM_SCHEMA_WITH_TEXT_ID();
      await refused('Write (wrong column type)', encodeRecord(wrongSchema, [{ ...UPSERT_ROW, id: 'seven' }]), /column id: record has type utf8, table has int64/);
      const r3 = await readAll(c, table, 'Read (after refused writes)');
      check(r3.rows.length === (flag('--upsert') ? ROWS.length : ROWS.length), `Read after refused writes: ${r3.rows.length} rows`);
      ok(`Read (after refused writes): still ${r3.rows.length} rows`);
    }
    await closePlugin(c);
  } finally {
    closeClients(c);
  }
  console.log('drive_serve: sqlite: all checks passed');
}

// ---------------------------------------------------------------------------
// test: source

const list = (s) => (s === '' ? [] : s.split(',').map((x) => x.trim()));

async function runTest(addr) {
  const spec = JSON.parse(opt('--spec', '{"num_rows": 5}'));
  const tableName = opt('--table', 'test_some_table');
  const wantRows = Number(opt('--expect-rows', '5'));
  const wantPks = list(opt('--expect-pks', 'resource_id,client_id'));
  const wantCols = list(opt('--expect-columns', '_cq_id,_cq_parent_id,resource_id,client_id,column2'));
  const ordered = flag('--ordered');
  const c = makeClients(addr);
  try {
    await handshake(c);
    // TestConnection answers with success or a failure code, never an RPC error.
    const good = await at('TestConnection', () => unary(c.plugin, 'TestConnection', new v3.TestConnection.Request({ spec: new TextEncoder().encode(JSON.stringify(spec)) }), TIMEOUT));
    check(good.success === true, `TestConnection with the spec failed: ${good.failure_code} ${good.failure_description}`);
    const bad = await at('TestConnection (bad spec)', () => unary(c.plugin, 'TestConnection', new v3.TestConnection.Request({ spec: new TextEncoder().encode('{"no_such_option": 1}') }), TIMEOUT));
    check(bad.success === false && bad.failure_code !== '' && /no_such_option/.test(bad.failure_description),
      `TestConnection with an unknown option: success=${bad.success} code=${bad.failure_code} description=${bad.failure_description}`);
    ok(`TestConnection: ok with the spec; unknown option -> ${bad.failure_code}: ${bad.failure_description}`);
    await at('GetSpecSchema', () => unary(c.plugin, 'GetSpecSchema', new v3.GetSpecSchema.Request({}), TIMEOUT));
    await init(c, spec);

    const gt = await at('GetTables', () => unary(c.plugin, 'GetTables', new v3.GetTables.Request({ tables: ['*'], skip_tables: [], skip_dependent_tables: false }), TIMEOUT));
    const tables = gt.tables.map((b, k) => {
      try {
        return describeIpc(b, { noBatch: true }).schema;
      } catch (e) {
        throw new Fail(`GetTables: table ${k}: ${e.message}`);
      }
    });
    const names = tables.map((t) => t.metadata['cq:table_name']);
    names.forEach((n, k) => check(typeof n === 'string' && n.length > 0, `GetTables: table ${k} has no cq:table_name`));
    ok(`GetTables ["*"] -> ${JSON.stringify(names)}`);
    const t = tables.find((x) => x.metadata['cq:table_name'] === tableName);
    check(t, `GetTables did not list ${tableName}`);
    const pks = t.fields.filter((f) => f.metadata['cq:extension:primary_key'] === 'true').map((f) => f.name);
    check(JSON.stringify([...pks].sort()) === JSON.stringify([...wantPks].sort()),
      `${tableName}: primary keys ${JSON.stringify(pks)}, expected ${JSON.stringify(wantPks)}`);
    if (!flag('--allow-nullable-pks')) {
      for (const f of t.fields.filter((x) => pks.includes(x.name))) check(!f.nullable, `${tableName}: primary key ${f.name} is nullable (the JS SDK does that; pass --allow-nullable-pks to accept)`);
    }
    const cqid = t.fields.find((f) => f.name === '_cq_id');
    if (cqid) {
      check(cqid.type === 'fixed_size_binary[16]' && cqid.metadata['ARROW:extension:name'] === 'uuid' && !cqid.nullable,
        `${tableName}: _cq_id is ${cqid.type} nullable=${cqid.nullable} ext=${cqid.metadata['ARROW:extension:name']}; expected not-null uuid`);
    }
    ok(`${tableName}: primary keys ${JSON.stringify(pks)}; columns ${JSON.stringify(t.fields.map((f) => `${f.name}:${f.type}`))}`);

    const msgs = await at('Sync', () => serverStream(c.plugin, 'Sync', new v3.Sync.Request({ tables: [tableName], skip_tables: [], deterministic_cq_id: false }), TIMEOUT));
    const perTable = {};
    const migrated = [];
    const errors = [];
    let targetRows = [];
    let targetSchema = null;
    msgs.forEach((m, k) => {
      switch (m.message) {
        case 'migrate_table': {
          let s;
          try { s = describeIpc(m.migrate_table.table, { noBatch: true }).schema; } catch (e) { throw new Fail(`Sync: message ${k} (migrate_table): ${e.message}`); }
          migrated.push(s.metadata['cq:table_name']);
          break;
        }
        case 'insert': {
          let canon;
          try { canon = describeIpc(m.insert.record, { oneBatch: true }); } catch (e) { throw new Fail(`Sync: message ${k} (insert): ${e.message}`); }
          const tn = canon.schema.metadata['cq:table_name'];
          check(tn, `Sync: message ${k} (insert) has no cq:table_name`);
          check(migrated.includes(tn), `Sync: insert for ${tn} before its migrate_table`);
          perTable[tn] = (perTable[tn] ?? 0) + canon.num_rows;
          if (tn === tableName) {
            if (!targetSchema) targetSchema = canon.schema;
            const d = firstDifference(canon.schema, targetSchema);
            check(!d, `Sync: ${tableName} records disagree on the schema: ${d}`);
            targetRows.push(...canon.rows);
          }
          break;
        }
        case 'error':
          errors.push({ table: m.error.table_name, error: m.error.error });
          break;
        case 'delete_record':
          break;
        default:
          throw new Fail(`Sync: message ${k} has no known payload (${m.message})`);
      }
    });
    check(errors.length === 0, `Sync sent errors: ${JSON.stringify(errors)}`);
    check(migrated.includes(tableName), `Sync sent no migrate_table for ${tableName} (got ${JSON.stringify(migrated)})`);
    check(targetRows.length === wantRows, `Sync: ${tableName} got ${targetRows.length} rows, expected ${wantRows}`);
    if (targetSchema) {
      const cols = targetSchema.fields.map((f) => f.name);
      const same = ordered ? JSON.stringify(cols) === JSON.stringify(wantCols)
        : JSON.stringify([...cols].sort()) === JSON.stringify([...wantCols].sort());
      check(same, `Sync: ${tableName} columns ${JSON.stringify(cols)}, expected ${JSON.stringify(wantCols)}${ordered ? ' in this order' : ''}`);
      const gtCols = t.fields.map((f) => `${f.name}:${f.type}`);
      const syncCols = targetSchema.fields.map((f) => `${f.name}:${f.type}`);
      check(JSON.stringify(gtCols) === JSON.stringify(syncCols), `Sync: ${tableName} record columns ${JSON.stringify(syncCols)} differ from GetTables' ${JSON.stringify(gtCols)}`);
      if (cols.includes('_cq_id')) {
        const ids = new Set(targetRows.map((r) => r._cq_id));
        check(ids.size === targetRows.length && !ids.has(null), `Sync: ${tableName} _cq_id values are not unique and non-null`);
        for (const id of ids) check(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id), `Sync: bad _cq_id ${id}`);
      }
      for (const pk of pks) check(targetRows.every((r) => r[pk] !== null), `Sync: ${tableName} has a null primary key ${pk}`);
    }
    if (VERBOSE) console.log(JSON.stringify(targetRows, null, 2));
    ok(`Sync [${tableName}]: ${msgs.length} messages; migrate_table ${JSON.stringify(migrated)}; rows per table ${JSON.stringify(perTable)}`);
    console.log(JSON.stringify({ summary: { table: tableName, rows: targetRows.length, columns: targetSchema?.fields.map((f) => f.name) ?? [], rows_per_table: perTable, first_row: targetRows[0] ?? null } }));
    await closePlugin(c);
  } finally {
    closeClients(c);
  }
  console.log('drive_serve: test: all checks passed');
}

// ---------------------------------------------------------------------------

const [mode, addr, third] = argv;
try {
  if (mode === 'sqlite') {
    if (!addr || !third || addr.startsWith('--') || third.startsWith('--')) usage();
    await runSqlite(addr, third);
  } else if (mode === 'test') {
    if (!addr || addr.startsWith('--')) usage();
    await runTest(addr);
  } else {
    usage();
  }
  process.exit(0);
} catch (e) {
  process.stderr.write(`drive_serve: ${mode}: FAIL at ${step}: ${e instanceof Fail ? e.message : (e.stack ?? e)}\n`);
  process.exit(1);
}
