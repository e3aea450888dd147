#!/usr/bin/env node
// Probe the JS SDK's built-in "memdb" plugin over gRPC and print what it
// exposes: names, spec schema, tables (full Arrow schema + metadata), Sync
// output decoded with apache-arrow, Write/Read behaviour, logs.
//
// Usage:
//   node probe_memdb.mjs                 # spawns memdb on 127.0.0.1:<free port>
//   node probe_memdb.mjs --address H:P   # probes an already running plugin
//   node probe_memdb.mjs --json          # machine-readable JSON report only
//
// Exits non-zero if a call that memdb is known to answer fails.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { v3, disc1, makeClients, waitReady, unary, serverStream, clientStream, statusName, closeClients } from './lib/cq.mjs';
import { describeTable, describeSchema, checkIpcFraming } from './lib/canon.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const jsonOnly = args.includes('--json');
const addrIdx = args.indexOf('--address');
let address = addrIdx >= 0 ? args[addrIdx + 1] : null;
const report = {};
const log = (...a) => { if (!jsonOnly) console.log(...a); };
const dump = (title, v) => log(`\n=== ${title}\n${typeof v === 'string' ? v : JSON.stringify(v, null, 2)}`);

let child = null; // the memdb the main probe talks to (when we spawned it)
const childLog = [];

// Spawns memdb on a free port (port 0: grpc-js picks one and memdb logs it as
// "server running on port: N"). Returns { proc, address }.
async function startMemdb(logTo) {
  const main = path.join(here, 'node_modules/@cloudquery/plugin-sdk-javascript/dist/main.js');
  const proc = spawn(process.execPath, [main, 'serve', '--address', '127.0.0.1:0', '--log-format', 'json', '--log-level', 'debug'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let buf = '';
  let onPort = null;
  proc.stdout.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      logTo.push({ stream: 'stdout', line });
      const m = /server running on port: (\d+)/.exec(line);
      if (m && onPort) onPort(Number(m[1]));
    }
  });
  proc.stderr.on('data', (d) => logTo.push({ stream: 'stderr', line: String(d).trimEnd() }));
  const port = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('memdb did not report its port within 15 s')), 15000);
    onPort = (p) => { clearTimeout(t); resolve(p); };
    proc.once('exit', (code) => reject(new Error(`memdb exited early with ${code}`)));
  });
  return { proc, address: `127.0.0.1:${port}` };
}

async function stopProc(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill('SIGINT');
  await new Promise((r) => {
    const t = setTimeout(() => { proc.kill('SIGKILL'); r(); }, 3000);
    proc.once('exit', () => { clearTimeout(t); r(); });
  });
}

function errInfo(e) {
  return { code: e.timeout ? 'none (client-side timeout)' : statusName(e.code), details: e.details ?? e.message, timeout: !!e.timeout };
}

function decodeTableBytes(bytes) {
  const framing = checkIpcFraming(bytes);
  const t = tableFromIPC(bytes);
  return { framing: framing.messages, ...describeTable(t) };
}

async function main() {
  if (!address) ({ proc: child, address } = await startMemdb(childLog));
  report.address = address;
  const c = makeClients(address);
  await waitReady(c.plugin);

  report.discovery_versions = (await unary(c.discovery, 'GetVersions', new disc1.GetVersions.Request())).versions;
  report.name = (await unary(c.plugin, 'GetName', new v3.GetName.Request())).name;
  report.version = (await unary(c.plugin, 'GetVersion', new v3.GetVersion.Request())).version;
  const ss = await unary(c.plugin, 'GetSpecSchema', new v3.GetSpecSchema.Request());
  report.spec_schema = { has_json_schema: ss.has_json_schema, json_schema: ss.json_schema };

  // Before Init
  try {
    await unary(c.plugin, 'GetTables', new v3.GetTables.Request({ tables: ['*'] }));
    report.get_tables_before_init = 'ok';
  } catch (e) { report.get_tables_before_init = errInfo(e); }

  // Sync before Init: the SDK returns (not throws) an InitializationError, so the stream never ends
  try {
    const r = await serverStream(c.plugin, 'Sync', new v3.Sync.Request({ tables: ['*'] }), 2000);
    report.sync_before_init = { messages: r.length };
  } catch (e) { report.sync_before_init = errInfo(e); }
  try {
    await clientStream(c.plugin, 'Write', [], 3000);
    report.write_before_init = 'ok';
  } catch (e) { report.write_before_init = errInfo(e); }

  // Init with empty spec bytes: memdb JSON.parse('') -> error
  try {
    await unary(c.plugin, 'Init', new v3.Init.Request({ spec: new Uint8Array() }));
    report.init_empty_spec = 'ok';
  } catch (e) { report.init_empty_spec = errInfo(e); }
  // Init with a spec key memdb does not know (ajv schema has no additionalProperties:false)
  try {
    await unary(c.plugin, 'Init', new v3.Init.Request({ spec: Buffer.from('{"bogus": 1}') }));
    report.init_unknown_key = 'ok';
  } catch (e) { report.init_unknown_key = errInfo(e); }
  try {
    await unary(c.plugin, 'Init', new v3.Init.Request({ spec: Buffer.from('{"concurrency": "x"}') }));
    report.init_bad_type = 'ok';
  } catch (e) { report.init_bad_type = errInfo(e); }
  await unary(c.plugin, 'Init', new v3.Init.Request({ spec: Buffer.from('{}'), invocation_id: '00000000-0000-4000-8000-000000000000' }));
  report.init_json_empty_object = 'ok';

  // GetTables: "*" vs [] vs a name
  const gtStar = await unary(c.plugin, 'GetTables', new v3.GetTables.Request({ tables: ['*'] }));
  const tables = gtStar.tables.map((b) => {
    const d = decodeTableBytes(b);
    return { framing: d.framing, num_rows: d.num_rows, schema: d.schema };
  });
  report.get_tables_star = tables;
  report.get_tables_empty_list = (await unary(c.plugin, 'GetTables', new v3.GetTables.Request({ tables: [] }))).tables.length;
  report.get_tables_table3_child1 = (await unary(c.plugin, 'GetTables', new v3.GetTables.Request({ tables: ['table3_child1'] })))
    .tables.map((b) => describeSchema(tableFromIPC(b).schema).metadata['cq:table_name']);
  report.get_tables_table3_skip_dependent = (await unary(c.plugin, 'GetTables', new v3.GetTables.Request({ tables: ['table3'], skip_dependent_tables: true })))
    .tables.map((b) => describeSchema(tableFromIPC(b).schema).metadata['cq:table_name']);
  try {
    await unary(c.plugin, 'GetTables', new v3.GetTables.Request({ tables: ['table3_child1'], skip_tables: ['table3'] }));
    report.get_tables_skip_parent_of_included = 'ok';
  } catch (e) { report.get_tables_skip_parent_of_included = errInfo(e); }

  // Table patterns go through the `matcher` package: only '*' (and '!' negation), no '?'
  report.get_tables_pattern_question_mark = (await unary(c.plugin, 'GetTables', new v3.GetTables.Request({ tables: ['table?'] }))).tables.length;
  report.get_tables_pattern_star = (await unary(c.plugin, 'GetTables', new v3.GetTables.Request({ tables: ['table3*'] })))
    .tables.map((b) => tableFromIPC(b).schema.metadata.get('cq:table_name'));
  try {
    JSON.parse(report.spec_schema.json_schema);
    report.spec_schema_is_valid_json = true;
  } catch (e) { report.spec_schema_is_valid_json = `no: ${e.message}`; }

  // Sync with [] (nothing) and with "*"
  try {
    const r = await serverStream(c.plugin, 'Sync', new v3.Sync.Request({ tables: [] }), 5000);
    report.sync_empty_list = { messages: r.length };
  } catch (e) { report.sync_empty_list = errInfo(e); }

  const syncMsgs = await serverStream(c.plugin, 'Sync', new v3.Sync.Request({ tables: ['*'] }), 15000);
  report.sync_star = syncMsgs.map((m) => {
    switch (m.message) {
      case 'migrate_table': {
        const s = tableFromIPC(m.migrate_table.table).schema;
        return { kind: 'migrate_table', table: s.metadata.get('cq:table_name') };
      }
      case 'insert': {
        const d = decodeTableBytes(m.insert.record);
        return { kind: 'insert', table: d.schema.metadata['cq:table_name'], framing: d.framing, num_batches: d.num_batches, rows: d.rows };
      }
      case 'error':
        return { kind: 'error', table_name: m.error.table_name, error: m.error.error };
      default:
        return { kind: m.message, obj: m.toObject() };
    }
  });
  // Is the schema in an insert identical to the one in migrate_table / GetTables?
  const firstInsert = syncMsgs.find((m) => m.message === 'insert');
  if (firstInsert) {
    const ins = describeSchema(tableFromIPC(firstInsert.insert.record).schema);
    const gt = tables.find((t) => t.schema.metadata['cq:table_name'] === ins.metadata['cq:table_name']);
    report.insert_schema_equals_get_tables_schema = JSON.stringify(ins) === JSON.stringify(gt.schema);
  }
  const det = await serverStream(c.plugin, 'Sync', new v3.Sync.Request({ tables: ['table3'], deterministic_cq_id: true }), 15000);
  const det2 = await serverStream(c.plugin, 'Sync', new v3.Sync.Request({ tables: ['table3'], deterministic_cq_id: true }), 15000);
  const ids = (msgs) => msgs.filter((m) => m.message === 'insert').map((m) => describeTable(tableFromIPC(m.insert.record)).rows[0]._cq_id).sort();
  report.sync_deterministic_cq_id = { run1: ids(det), run2: ids(det2), same: JSON.stringify(ids(det)) === JSON.stringify(ids(det2)) };

  // Write: migrate + insert one row into table2 (an own copy of the schema), then Read.
  const t2 = gtStar.tables.find((b) => tableFromIPC(b).schema.metadata.get('cq:table_name') === 'table2');
  const t2Row = syncMsgs.find((m) => m.message === 'insert' && tableFromIPC(m.insert.record).schema.metadata.get('cq:table_name') === 'table2');
  try {
    await clientStream(c.plugin, 'Write', [
      new v3.Write.Request({ migrate_table: new v3.Write.MessageMigrateTable({ table: t2, migrate_force: false }) }),
      new v3.Write.Request({ insert: new v3.Write.MessageInsert({ record: t2Row.insert.record }) }),
    ], 10000);
    report.write_migrate_insert = 'ok';
  } catch (e) { report.write_migrate_insert = errInfo(e); }
  try {
    await clientStream(c.plugin, 'Write', [
      new v3.Write.Request({ delete: new v3.Write.MessageDeleteStale({ table_name: 'table2', source_name: 'src', sync_time: new pb_Timestamp() }) }),
    ], 10000);
    report.write_delete_stale = 'ok';
  } catch (e) { report.write_delete_stale = errInfo(e); }
  try {
    await clientStream(c.plugin, 'Write', [
      new v3.Write.Request({ delete_record: new v3.Write.MessageDeleteRecord({ table_name: 'table2' }) }),
    ], 10000);
    report.write_delete_record = 'ok';
  } catch (e) { report.write_delete_record = errInfo(e); }
  try {
    const r = await serverStream(c.plugin, 'Read', new v3.Read.Request({ table: t2 }), 3000);
    report.read = { messages: r.length };
  } catch (e) { report.read = errInfo(e); }

  try {
    const r = await unary(c.plugin, 'TestConnection', new v3.TestConnection.Request({ spec: Buffer.from('{}') }));
    report.test_connection = r.toObject();
  } catch (e) { report.test_connection = errInfo(e); }
  try {
    const r = await unary(c.plugin, 'TransformSchema', new v3.TransformSchema.Request({ schema: t2 }), 3000);
    report.transform_schema = r.toObject();
  } catch (e) { report.transform_schema = errInfo(e); }

  await unary(c.plugin, 'Close', new v3.Close.Request());
  report.close = 'ok';
  // After Close the client is still set: calls keep working
  try {
    const r = await unary(c.plugin, 'GetTables', new v3.GetTables.Request({ tables: ['*'] }));
    report.get_tables_after_close = `ok (${r.tables.length} tables)`;
  } catch (e) { report.get_tables_after_close = errInfo(e); }
  closeClients(c);

  // Init(no_connection) as the ONLY Init leaves the spec null; a Sync then crashes the
  // whole plugin process (unhandled TypeError). Needs a fresh memdb of our own.
  if (child) {
    const log2 = [];
    const m2 = await startMemdb(log2);
    const c2 = makeClients(m2.address);
    try {
      await waitReady(c2.plugin);
      await unary(c2.plugin, 'Init', new v3.Init.Request({ no_connection: true }));
      report.fresh_init_no_connection = 'ok';
      report.fresh_get_tables_after_no_connection = (await unary(c2.plugin, 'GetTables', new v3.GetTables.Request({ tables: ['*'] }))).tables.length;
      const exited = new Promise((r) => m2.proc.once('exit', (code, sig) => r({ code, sig })));
      try {
        await serverStream(c2.plugin, 'Sync', new v3.Sync.Request({ tables: ['table1'] }), 3000);
        report.fresh_sync_after_no_connection = 'ok';
      } catch (e) { report.fresh_sync_after_no_connection = errInfo(e); }
      const ex = await Promise.race([exited, new Promise((r) => setTimeout(() => r(null), 2000))]);
      report.fresh_plugin_process_after_that = ex ? `exited (code ${ex.code}, signal ${ex.sig})` : 'still running';
      report.fresh_plugin_stderr_tail = log2.filter((l) => l.stream === 'stderr').map((l) => l.line).join('\n').split('\n').slice(0, 6);
    } finally {
      closeClients(c2);
      await stopProc(m2.proc);
    }
  }
}

// google.protobuf.Timestamp as generated inside the package
import pb from '@cloudquery/plugin-pb-javascript';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const pb_Timestamp = require('@cloudquery/plugin-pb-javascript/dist/google/protobuf/timestamp.js').google.protobuf.Timestamp;
void pb;

let rc = 0;
try {
  await main();
} catch (e) {
  rc = 1;
  report.fatal = e.stack ?? String(e);
} finally {
  if (child) await stopProc(child);
  if (child) report.plugin_log = childLog.map((l) => `${l.stream}: ${l.line}`);
}
if (jsonOnly) console.log(JSON.stringify(report, null, 2));
else for (const [k, v] of Object.entries(report)) dump(k, v);
if (rc) console.error(`probe_memdb: FAILED: ${report.fatal}`);
process.exit(rc);
