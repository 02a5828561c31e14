// The floor of benchmark 3 on this machine: the same merge patches kfup's velero-annotate sends,
// by the least code that can send them (node:http, one keep-alive agent, N at a time, no
// kubeconfig, no retries, no journal), in a fresh process like kfup's. What it takes beyond the
// bound (requests x latency / N) is the sandbox's and Node's own cost per request.
//   node bench/lib/bare-patch.js SERVER_URL PODS_JSON_FILE CONCURRENCY ANNOTATION
// PODS_JSON_FILE holds [{ namespace, name, volume }]; prints the milliseconds the patches took.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';

const [serverUrl, podsFile, concurrency, annotation] = process.argv.slice(2);
const server = new URL(serverUrl);
const pods = JSON.parse(readFileSync(podsFile, 'utf8'));
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function patch(p) {
  const body = Buffer.from(JSON.stringify({ metadata: { annotations: { [annotation]: p.volume } } }));
  return new Promise((resolve, reject) => {
    const req = request(
      { host: server.hostname, port: server.port, path: `/api/v1/namespaces/${p.namespace}/pods/${p.name}`, method: 'PATCH', agent, headers: { 'content-type': 'application/merge-patch+json', 'content-length': body.length } },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`PATCH ${p.namespace}/${p.name}: HTTP ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const started = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: Number(concurrency) }, async () => {
    while (next < pods.length) await patch(pods[next++]);
  }),
);
process.stdout.write(`${(performance.now() - started).toFixed(1)}\n`);
agent.destroy();
