// Thin promise wrappers around the generated CloudQuery v3 gRPC clients from
// @cloudquery/plugin-pb-javascript (protoc-gen-ts output, google-protobuf 4).
//
// Generated-code facts worth knowing:
//  * the package is CommonJS: `import pb from '@cloudquery/plugin-pb-javascript'`
//    then pb.pluginV3.cloudquery.plugin.v3 / pb.discovery1.cloudquery.discovery.v1;
//  * messages are nested classes: v3.Sync.Request, v3.Write.Request,
//    v3.Write.MessageMigrateTable, ...; constructors take an object with the
//    proto field names in snake_case (migrate_table, skip_tables, ...), except
//    Sync.Request.withErrorMessages, which is camelCase in the .proto too;
//  * clients: v3.PluginClient, discovery v1.DiscoveryClient (grpc-js generic
//    clients, methods named like the RPCs: GetName, Sync, Write, ...);
//  * oneofs: msg.message is the case name ('migrate_table', 'insert',
//    'delete_record', 'error', 'delete' or 'none'); bytes fields are Uint8Array.

import grpc from '@grpc/grpc-js';
import pb from '@cloudquery/plugin-pb-javascript';

export const v3 = pb.pluginV3.cloudquery.plugin.v3;
export const disc1 = pb.discovery1.cloudquery.discovery.v1;
export { grpc };

export const MAX_MSG = 200 * 1024 * 1024;
const CHANNEL_OPTS = {
  'grpc.max_receive_message_length': MAX_MSG,
  'grpc.max_send_message_length': MAX_MSG,
};

export function fail(msg) {
  const e = new Error(msg);
  e.isCheck = true;
  throw e;
}

export function makeClients(address) {
  const creds = grpc.credentials.createInsecure();
  return {
    plugin: new v3.PluginClient(address, creds, CHANNEL_OPTS),
    discovery: new disc1.DiscoveryClient(address, creds, CHANNEL_OPTS),
  };
}

export function waitReady(client, ms = 10000) {
  return new Promise((resolve, reject) => {
    client.waitForReady(Date.now() + ms, (err) => (err ? reject(new Error(`server not ready after ${ms} ms: ${err.message}`)) : resolve()));
  });
}

function deadline(ms) {
  return { deadline: Date.now() + ms };
}

export function unary(client, method, req, ms = 30000) {
  return new Promise((resolve, reject) => {
    client[method](req, new grpc.Metadata(), deadline(ms), (err, res) => {
      if (err) {
        err.message = `${method}: ${err.message}`;
        reject(err);
      } else resolve(res);
    });
  });
}

// Collects a server stream. Rejects on error, or when nothing ends the stream
// within `ms` (the call is cancelled then).
export function serverStream(client, method, req, ms = 30000, onMessage = null) {
  return new Promise((resolve, reject) => {
    const out = [];
    let done = false;
    const call = client[method](req, new grpc.Metadata(), {});
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      call.cancel();
      const e = new Error(`${method}: stream did not finish within ${ms} ms (got ${out.length} messages)`);
      e.timeout = true;
      e.partial = out;
      reject(e);
    }, ms);
    call.on('data', (m) => {
      out.push(m);
      if (onMessage) onMessage(m);
    });
    call.on('error', (err) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      err.message = `${method}: ${err.message}`;
      err.partial = out;
      reject(err);
    });
    call.on('end', () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(out);
    });
  });
}

// Client stream: sends every message of `reqs`, half-closes, waits for the reply.
export function clientStream(client, method, reqs, ms = 30000) {
  return new Promise((resolve, reject) => {
    const call = client[method](new grpc.Metadata(), deadline(ms), (err, res) => {
      if (err) {
        err.message = `${method}: ${err.message}`;
        reject(err);
      } else resolve(res);
    });
    for (const r of reqs) call.write(r);
    call.end();
  });
}

export function statusName(code) {
  return Object.keys(grpc.status).find((k) => grpc.status[k] === code) ?? String(code);
}

export function closeClients(c) {
  c.plugin.close();
  c.discovery.close();
}
