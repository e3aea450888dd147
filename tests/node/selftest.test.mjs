// Self-tests of the node protocol scripts, needing no Quarry binary:
//   cd tests/node && node --test selftest.test.mjs      (or: npm test)
// They run the scripts against the JS SDK's memdb, so a script that stops checking what it
// claims to check fails here first. (Against Quarry itself they run from ctest.)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'quarry-node-selftest-'));
const procs = [];

function run(script, args, timeout = 60000) {
  const r = spawnSync(process.execPath, [path.join(here, script), ...args], { encoding: 'utf8', timeout });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

// Starts a server script and resolves with the address it reports on stdout.
function serve(args, pattern) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(p);
    let buf = '';
    const t = setTimeout(() => reject(new Error(`no address from ${args.join(' ')}: ${buf}`)), 15000);
    p.stdout.on('data', (d) => {
      buf += d;
      const m = pattern.exec(buf);
      if (m) { clearTimeout(t); resolve(m[1]); }
    });
    p.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}: ${buf}`)));
  });
}

let memdb;
before(async () => {
  memdb = `127.0.0.1:${await serve([path.join(here, 'node_modules/@cloudquery/plugin-sdk-javascript/dist/main.js'), 'serve', '--address', '127.0.0.1:0', '--log-format', 'json'], /server running on port: (\d+)/)}`;
});

after(() => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('arrow_check write then read --expect round-trips every type', () => {
  const f = path.join(tmp, 'all.arrows'), j = path.join(tmp, 'all.json');
  const w = run('arrow_check.mjs', ['write', f, '--json-out', j]);
  assert.equal(w.code, 0, w.err);
  const canon = JSON.parse(w.out);
  assert.equal(canon.num_rows, 4);
  assert.equal(canon.schema.metadata['cq:table_name'], 'arrow_check');
  assert.deepEqual(canon.schema.fields.find((x) => x.name === 'c_uuid').metadata,
    { 'ARROW:extension:metadata': 'uuid-serialized', 'ARROW:extension:name': 'uuid' });
  const r = run('arrow_check.mjs', ['read', f, '--expect', j, '--one-batch']);
  assert.equal(r.code, 0, r.err);
});

test('arrow_check read reports a value mismatch and a broken stream', () => {
  const f = path.join(tmp, 'all.arrows'), j = path.join(tmp, 'bad.json');
  run('arrow_check.mjs', ['write', f]);
  const canon = JSON.parse(run('arrow_check.mjs', ['read', f]).out);
  canon.rows[1].c_uint64 = '1';
  fs.writeFileSync(j, JSON.stringify(canon));
  const r = run('arrow_check.mjs', ['read', f, '--expect', j]);
  assert.equal(r.code, 1);
  assert.match(r.err, /\$\.rows\[1\]\.c_uint64/);
  const cut = path.join(tmp, 'cut.arrows');
  fs.writeFileSync(cut, fs.readFileSync(f).subarray(0, fs.statSync(f).size - 8));
  const c = run('arrow_check.mjs', ['read', cut]);
  assert.equal(c.code, 1);
  assert.match(c.err, /end-of-stream marker/);
});

test('arrow_check schema-only stream has no batch', () => {
  const f = path.join(tmp, 'schema.arrows');
  const w = run('arrow_check.mjs', ['write', f, '--schema-only']);
  assert.equal(w.code, 0, w.err);
  assert.equal(JSON.parse(w.out).num_batches, 0);
  assert.equal(run('arrow_check.mjs', ['read', f, '--no-batch']).code, 0);
  assert.equal(run('arrow_check.mjs', ['read', f, '--one-batch']).code, 1);
});

test('drive_serve sqlite fails when Read never answers (memdb)', () => {
  const r = run('drive_serve.mjs', ['sqlite', memdb, path.join(tmp, 'y.db'), '--timeout-ms', '2000']);
  assert.equal(r.code, 1);
  assert.match(r.err, /FAIL at Read/);
});

test('drive_serve test passes against memdb with its own table', () => {
  const r = run('drive_serve.mjs', ['test', memdb, '--spec', '{}', '--table', 'table3', '--expect-rows', '2',
    '--expect-pks', 'name', '--expect-columns', '_cq_id,_cq_parent_id,name', '--allow-nullable-pks']);
  assert.equal(r.code, 0, r.out + r.err);
});

test('drive_serve test fails on a wrong row count or missing table', () => {
  const r = run('drive_serve.mjs', ['test', memdb, '--spec', '{}', '--table', 'table3', '--expect-rows', '3',
    '--expect-pks', 'name', '--expect-columns', '_cq_id,_cq_parent_id,name', '--allow-nullable-pks']);
  assert.equal(r.code, 1);
  assert.match(r.err, /got 2 rows, expected 3/);
  const m = run('drive_serve.mjs', ['test', memdb]);
  assert.equal(m.code, 1);
  assert.match(m.err, /did not list test_some_table/);
});

test('probe_memdb runs to the end', () => {
  const r = run('probe_memdb.mjs', ['--json'], 120000);
  assert.equal(r.code, 0, r.err);
  const rep = JSON.parse(r.out);
  assert.deepEqual(rep.discovery_versions, [3]);
  assert.equal(rep.name, 'memdb');
  assert.equal(rep.get_tables_star.length, 4);
});
