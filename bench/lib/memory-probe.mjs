// Preloaded into a measured process with `node --import ./bench/lib/memory-probe.mjs` (issue 16): writes,
// to the file named by CAUSEWAY_MEMORY_PROBE, one JSON line every 2 s with process.memoryUsage(), V8's heap
// spaces and code statistics, and, when asked, the ES modules loaded so far (files, by package; CommonJS ones are not seen), so an RSS figure can be
// broken down into V8 heap, code, buffers and native memory. Nothing here runs unless the flag is given.
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
import v8 from 'node:v8';

const out = process.env.CAUSEWAY_MEMORY_PROBE;
const urls = new Set();
const { port1, port2 } = new MessageChannel();
port1.on('message', (u) => urls.add(u));
port1.unref();
// The module list needs a loader hook, and a hook runs on its own thread with its own V8 isolate (+10–30
// MiB RSS): only when asked (CAUSEWAY_MEMORY_PROBE_MODULES=1), never in a run whose RSS is quoted.
if (process.env.CAUSEWAY_MEMORY_PROBE_MODULES) register(
  'data:text/javascript,' +
    encodeURIComponent('let p; export function initialize(d){p=d.port} export async function load(u,c,n){p.postMessage(u); return n(u,c)}'),
  import.meta.url,
  { data: { port: port2 }, transferList: [port2] },
);
function byPackage() {
  const m = {};
  for (const u of urls) {
    const s = String(u);
    let k = s.startsWith('node:') ? 'node:' : s.includes('/node_modules/') ? s.split('/node_modules/').pop().split('/').slice(0, s.split('/node_modules/').pop().startsWith('@') ? 2 : 1).join('/') : s.includes('/dist/') ? 'dist/' + s.split('/dist/')[1].split('/')[0] : 'other';
    m[k] = (m[k] ?? 0) + 1;
  }
  return m;
}
function sample() {
  if (process.env.CAUSEWAY_MEMORY_PROBE_URLS) appendFileSync(process.env.CAUSEWAY_MEMORY_PROBE_URLS, [...urls].join("\n") + "\n");
  const mu = process.memoryUsage();
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, { size: s.space_size, used: s.space_used_size }]));
  const line = { t: Date.now(), mu, spaces, code: v8.getHeapCodeStatistics(), heap: v8.getHeapStatistics(), modules: urls.size, byPackage: byPackage() };
  if (out) appendFileSync(out, JSON.stringify(line) + '\n');
}
if (out) setInterval(sample, 2000).unref();
