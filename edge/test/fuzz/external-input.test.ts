import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as cborg from 'cborg';
import { decodeEnvelope, encodeEnvelope, FRAME_MAGIC, loadConfig, CausewayError, parseJson, mergeConfig, localOnlyKeyIn, prng } from '@causeway/shared';
import { mergeRemoteConfig } from '../../src/app/merge-remote-config.js';
import { edgeSchema, type EdgeConfig } from '../../src/config/schema.js';
import { valueFromPayload } from '../../src/ingest/mqtt/mqtt-source.js';
import { jsonLines } from '../../src/ingest/protocols/json-lines.js';
import { checkEvent, checkReading } from '../../src/store/record-codec.js';

/**
 * Issue 23: a fuzz test of every JSON (and CBOR) input the programs accept — envelopes, API bodies,
 * config files, remote config, device frames, stdin lines — with a fixed seed and a bounded time, so CI
 * runs the same inputs every time. Each decoder, validator and merger must return a value or throw one
 * of Causeway's own errors (never a TypeError or RangeError), and Object.prototype must never change.
 * Prototype keys are planted at random depths. On a failure the message carries the input.
 */
const SEED = 23;
const BUDGET_MS = 8_000;
const MAX_ITERATIONS = 40_000;


const KEYS = [
  '__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty',
  'v', 'type', 'id', 'gateway', 'device', 'stream', 'readings', 'seq', 'ts', 'value', 'unit', 'quality', 'event', 'severity', 'data',
  'name', 'args', 'version', 'issuedAt', 'config', 'status', 'error', 'key', 'message',
  'cloud', 'url', 'username', 'password', 'keepaliveSeconds', 'uplink', 'batchMaxReadings', 'codec', 'buffer', 'maxBytes',
  'ingest', 'ports', 'path', 'protocol', 'framing', 'streams', 'rules', 'pipeline', 'mqtt', 'listen', 'host', 'port', 'sources', 'topic',
  'store', 'log', 'level', 'groups', 'commands', 'health', 'a', 'b', '', 'cloud.url', 'é', '\u0000',
];

class Gen {
  constructor(readonly r: () => number) {}
  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  scalar(): unknown {
    switch (this.int(9)) {
      case 0: return null;
      case 1: return this.r() < 0.5;
      case 2: return this.int(1000);
      case 3: return -this.int(1e6) / 7;
      case 4: return this.pick([0, -0, 1e308, -1e308, 2 ** 53, 70_000, 65_535, 1.5]);
      case 5: return this.pick(KEYS);
      case 6: return this.pick(['mqtt://127.0.0.1:1883', 'cbor', 'json', 'info', 'alarm', 'APPLIED', '/dev/ttyUSB0', 'x/+/#', '']);
      case 7: return 'x'.repeat(this.int(40));
      default: return String.fromCharCode(...Array.from({ length: this.int(8) }, () => this.int(0x3000)));
    }
  }
  /** JSON text (not an object) so `__proto__` can be an own key at any depth, as JSON.parse makes it. */
  json(depth: number): string {
    if (depth <= 0 || this.r() < 0.3) return JSON.stringify(this.scalar());
    if (this.r() < 0.3) return `[${Array.from({ length: this.int(4) }, () => this.json(depth - 1)).join(',')}]`;
    const n = this.int(5);
    const parts = Array.from({ length: n }, () => `${JSON.stringify(this.pick(KEYS))}:${this.json(depth - 1)}`);
    return `{${parts.join(',')}}`;
  }
  /** A copy of `text` with a prototype key planted after a random `{`, or bytes flipped, or cut. */
  mutate(text: string): string {
    const opens = [...text.matchAll(/\{/g)].map((m) => m.index!);
    switch (this.int(4)) {
      case 0: {
        if (opens.length === 0) return text;
        const at = this.pick(opens) + 1;
        const key = this.pick(['__proto__', 'constructor', 'prototype']);
        const body = this.pick(['{"polluted":1}', '{"prototype":{"polluted":1}}', '1', '[{"polluted":1}]', '{}']);
        const sep = text[at] === '}' ? '' : ',';
        return `${text.slice(0, at)}"${key}":${body}${sep}${text.slice(at)}`;
      }
      case 1: {
        const chars = [...text];
        for (let k = 1 + this.int(3); k > 0; k--) chars[this.int(chars.length)] = this.pick(['{', '}', '"', ',', ':', '[', ']', '0', 'x', '\\']);
        return chars.join('');
      }
      case 2:
        return text.slice(0, this.int(text.length + 1));
      default:
        return this.json(5);
    }
  }
}

const SEEDS = [
  { v: 1, type: 'batch', id: 'b1', gateway: 'gw1', device: 'd', stream: 's', readings: [{ seq: 1, ts: 1, value: 2.5, unit: 'C' }] },
  { v: 1, type: 'event', id: 'e1', gateway: 'gw1', device: 'd', event: 'door', severity: 'alarm', ts: 5, data: { open: true, where: { room: 1 } } },
  { v: 1, type: 'command', id: 'c1', name: 'set', args: { on: true, nested: { a: [1, { b: 2 }] } }, issuedAt: 1 },
  { v: 1, type: 'config', version: 3, issuedAt: 1, config: { uplink: { batchMaxReadings: 5 }, cloud: { keepaliveSeconds: 20 } } },
  { v: 1, type: 'config-reported', id: 'k', gateway: 'gw1', version: 3, status: 'REJECTED', ts: 1, error: { key: 'cloud.url', message: 'no' } },
].map((e) => JSON.stringify(e));
const CONFIG_SEEDS = [
  { uplink: { batchMaxReadings: 50, codec: 'json' }, buffer: { maxBytes: 1000 } },
  { ingest: { ports: [{ path: '/dev/ttyUSB0', device: 'th-1', protocol: { type: 'json' }, streams: { temp: 'temp' } }], rules: [{ device: '*', stream: 'temp', pipeline: [{ type: 'scale', factor: 2 }] }] } },
  { ingest: { mqtt: { listen: { port: 1884 }, sources: [{ topic: 'z/+/state', device: '{2}', stream: 't', path: 'temperature' }] } }, log: { level: 'debug' } },
  { gateway: { groups: ['north'] }, commands: { timeoutMs: 100 }, cloud: { backoffMaxMs: 10 } },
].map((c) => JSON.stringify(c));

describe('fuzz: every external JSON and CBOR input (fixed seed, bounded time; issue 23)', function () {
  this.timeout(BUDGET_MS * 4);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'cw-fuzz-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`seed ${SEED}: only Causeway errors, and Object.prototype never changes`, () => {
    const g = new Gen(prng(SEED));
    const protoBefore = new Set(Object.getOwnPropertyNames(Object.prototype));
    const local = structuredClone(loadConfig<EdgeConfig>(edgeSchema, { argv: ['--gateway.id', 'gw1'], env: {} })) as EdgeConfig;
    const counts: Record<string, { ok: number; refused: number }> = {};
    const attempt = (what: string, input: string, fn: () => unknown): void => {
      const c = (counts[what] ??= { ok: 0, refused: 0 });
      try {
        fn();
        c.ok++;
      } catch (err) {
        if (!(err instanceof CausewayError)) assert.fail(`${what} threw ${(err as Error)?.name}: ${(err as Error)?.message}\ninput: ${input.slice(0, 2000)}`);
        c.refused++;
      }
      const added = Object.getOwnPropertyNames(Object.prototype).filter((k) => !protoBefore.has(k));
      if (added.length > 0 || Object.getPrototypeOf(Object.prototype) !== null) {
        // Undo it first: a polluted prototype also breaks the test runner reporting the failure.
        for (const k of added) delete (Object.prototype as Record<string, unknown>)[k];
        assert.fail(`${what} polluted Object.prototype with ${added.join(', ')}\ninput: ${input.slice(0, 2000)}`);
      }
    };
    const asObject = (text: string): Record<string, unknown> | undefined => {
      try {
        const v = JSON.parse(text) as unknown;
        return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
      } catch {
        return undefined;
      }
    };

    const started = Date.now();
    let i = 0;
    for (; i < MAX_ITERATIONS && Date.now() - started < BUDGET_MS; i++) {
      const envText = g.r() < 0.7 ? g.mutate(g.pick(SEEDS)) : g.json(6);
      // the cloud's API bodies, and everything else parsed from text
      attempt('parseJson', envText, () => parseJson(envText, 'body'));
      // envelopes as JSON, as CBOR, framed and deflated
      attempt('decodeEnvelope(json)', envText, () => decodeEnvelope(Buffer.from(envText)));
      const parsed = asObject(envText);
      if (parsed !== undefined) {
        const framed = g.r() < 0.5;
        attempt('decodeEnvelope(cbor)', envText, () => {
          const body = Buffer.from(cborg.encode(parsed));
          return decodeEnvelope(framed ? Buffer.concat([Buffer.from([FRAME_MAGIC, 0x02]), body]) : body);
        });
        attempt('encode+decodeEnvelope(cbor+deflate)', envText, () => decodeEnvelope(encodeEnvelope(parsed as never, { codec: 'cbor', deflate: true })));
        // device input and stdin lines
        attempt('checkEvent', envText, () => checkEvent(parsed));
        attempt('checkReading', envText, () => checkReading(parsed));
      }
      attempt('json-lines frame', envText, () => {
        const r = jsonLines.parse(Buffer.from(envText));
        if (r.ok) for (const f of r.fields) assert.ok(!/__proto__|constructor|prototype/.test(f.name), `field ${f.name} from ${envText}`);
      });
      attempt('mqtt payload', envText, () => valueFromPayload(Buffer.from(envText), g.pick(['', 'temperature', 'a.b', '__proto__', 'constructor.prototype'])));

      // config: remote documents merged over the local config, layers merged by the cloud, the policy
      const cfgText = g.r() < 0.8 ? g.mutate(g.pick(CONFIG_SEEDS)) : g.json(5);
      const doc = asObject(cfgText);
      if (doc !== undefined) {
        attempt('mergeRemoteConfig', cfgText, () => mergeRemoteConfig(local, doc));
        attempt('mergeConfig', cfgText, () => mergeConfig([asObject(g.pick(CONFIG_SEEDS))!, doc, asObject(g.pick(CONFIG_SEEDS))!]));
        attempt('localOnlyKeyIn', cfgText, () => localOnlyKeyIn(doc, g.r() < 0.5 ? (local as unknown as Record<string, unknown>) : undefined));
      }
      // config files (a file per 25 rounds: it is the slow one)
      if (i % 25 === 0) {
        const file = join(dir, 'edge.json');
        writeFileSync(file, cfgText);
        attempt('loadConfig(file)', cfgText, () => loadConfig(edgeSchema, { argv: ['--config', file], env: {} }));
      }
    }
    // Not vacuous: every target saw inputs, and both outcomes happened where both are possible.
    assert.ok(i >= 500, `only ${i} rounds in ${BUDGET_MS} ms`);
    for (const what of ['parseJson', 'decodeEnvelope(json)', 'decodeEnvelope(cbor)', 'mergeRemoteConfig', 'mergeConfig', 'loadConfig(file)']) {
      assert.ok(counts[what]!.ok > 0 && counts[what]!.refused > 0, `${what}: ${JSON.stringify(counts[what])}`);
    }
  });
});
