/**
 * File rollout (issue 17): one artifact of S MB to K simulated gateways over their MQTT links, each link
 * cut C times at random chunks. The gateways are raw MQTT clients that speak the chunk protocol
 * (file-req → file-chunk, shared/src/artifacts/chunk-wire.ts) as causeway-edge does: one chunk at a time,
 * each hashed against the signed manifest; after a cut they reconnect and ask again for the chunk in
 * flight (its bytes count as re-fetched). Measured: bytes the cloud stores for the artifact (content +
 * message-log growth: chunk answers are sent unstored), time from the rollout to all SUCCEEDED, bytes
 * re-fetched. No competitor has this feature; the figure is Causeway's own.
 *
 * `--transport http`: the gateways fetch the bytes as causeway-edge does with files.transport http
 * (GET /v1/gateway/artifacts/{sha256} with HTTP Basic and `Range: bytes={offset}-{end}`, a window of
 * WINDOW_CHUNKS chunks per request, read chunk by chunk); a cut aborts the body mid-chunk and the gateway
 * asks again from that chunk's first byte.
 *
 *   npm run bench -- file-rollout [--quick] [--size-mb 50] [--gateways 200] [--cuts 5] [--transport mqtt|http] [--timeout-ms 900000]
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChunkHasher, DEFAULT_CHUNK_SIZE, decodeChunkAnswer, encodeChunkRequest, encodeEnvelope, publicKeyLine, signManifest, tryDecodeEnvelope, type ArtifactManifest, type CommandResultEnvelope, type SignedManifest } from '@causeway/shared';
import { WINDOW_CHUNKS } from '@causeway/edge/files/http-chunk-source.js';
import { sourceAddress } from '@causeway/sim/fleet/source-address.js';
import { boolFlag, intFlag, listFlag } from './lib/args.js';
import { diskUsage, formatBytes, sqliteUsedBytes } from './lib/broker-footprint.js';
import { cloudApi } from './lib/cloud-api.js';
import { startCompetitor, type RunningBroker } from './lib/competitors.js';
import { Histogram } from './lib/histogram.js';
import { forEachConcurrent, rawConnect, type RawClient } from './lib/raw-mqtt.js';
import type { BenchArgs, BenchResult } from './lib/result.js';

export const description = 'one S MB artifact to K simulated gateways with C link cuts each: bytes stored in the cloud, time to all SUCCEEDED, bytes re-fetched';

/** One simulated gateway: fetches the artifact chunk by chunk, cut `cuts` times, answers SUCCEEDED. */
class SimGateway {
  client: RawClient | undefined;
  refetched = 0;
  /** HTTP requests made (--transport http) */
  requests = 0;
  /** the gateway's secret, for HTTP Basic (--transport http) */
  secret = '';
  started = false;
  done = false;
  #waiting: { nonce: string; resolve: (b: Buffer) => void } | undefined;

  constructor(readonly gw: string, readonly i: number, readonly broker: RunningBroker, readonly cutAt: Set<number>, readonly onCommand: (g: SimGateway, m: SignedManifest, id: string) => void) {}

  async connect(): Promise<void> {
    this.client = await rawConnect({ host: '127.0.0.1', port: this.broker.port, localAddress: sourceAddress(this.i), clientId: this.gw, clean: true, protocolVersion: 4, onMessage: (t, p) => this.#message(t, p) });
    await this.client.subscribe(`file-chunk/${this.gw}/+`, 1);
    await this.client.subscribe('cmd-all/+', 1);
  }

  #message(topic: string, payload: Buffer): void {
    if (topic.startsWith('file-chunk/')) {
      const a = decodeChunkAnswer(payload);
      if (this.#waiting?.nonce === a.nonce) this.#waiting.resolve(a.data);
      return;
    }
    const d = tryDecodeEnvelope(payload);
    if (d.ok && d.envelope.type === 'command' && d.envelope.name === 'install') this.onCommand(this, (d.envelope.args as { artifact: SignedManifest }).artifact, d.envelope.id);
  }

  async #ask(m: ArtifactManifest, index: number): Promise<Buffer> {
    for (;;) {
      const nonce = randomBytes(6).toString('hex');
      const answer = new Promise<Buffer>((resolve) => (this.#waiting = { nonce, resolve }));
      const timeout = sleep(10_000).then(() => undefined);
      await this.client!.publish(`file-req/${this.gw}/chunks`, encodeChunkRequest({ sha256: m.sha256, index, nonce }), 1).catch(() => undefined);
      if (this.cutAt.delete(index)) {
        // the link dies with the request out: the answer is lost, reconnect and ask again
        this.client!.destroy();
        await this.connect();
        this.refetched += Math.min(m.chunkSize, m.size - index * m.chunkSize);
        continue;
      }
      const data = await Promise.race([answer, timeout]);
      if (data !== undefined) return data;
      this.refetched += Math.min(m.chunkSize, m.size - index * m.chunkSize);
    }
  }

  /**
   * Over HTTP: Range requests of WINDOW_CHUNKS chunks from the first chunk not yet verified, as the
   * agent's HttpChunkSource asks, read chunk by chunk; a cut aborts the one in flight mid-chunk.
   */
  async #fetchHttp(m: ArtifactManifest, apiUrl: string, each: (data: Buffer, index: number) => void): Promise<void> {
    const authorization = `Basic ${Buffer.from(`${this.gw}:${this.secret}`).toString('base64')}`;
    let i = 0;
    while (i < m.chunks.length) {
      const ac = new AbortController();
      this.requests++;
      // A keep-alive socket the cloud closed after an aborted body fails the next request: ask again, as the agent does.
      const windowEnd = Math.min(m.chunks.length, i + WINDOW_CHUNKS);
      const range = `bytes=${i * m.chunkSize}-${Math.min(m.size, windowEnd * m.chunkSize) - 1}`;
      const res = await fetch(`${apiUrl}/v1/gateway/artifacts/${m.sha256}`, { headers: { authorization, range }, signal: ac.signal }).catch(() => undefined);
      if (res === undefined) {
        await sleep(100);
        continue;
      }
      if (res.status !== 206) throw new Error(`${this.gw}: HTTP ${res.status} ${await res.text()}`);
      const reader = res.body!.getReader();
      let buf = Buffer.alloc(0);
      for (;;) {
        const len = Math.min(m.chunkSize, m.size - i * m.chunkSize);
        while (buf.length < len) {
          const r = await reader.read();
          if (r.done) throw new Error(`${this.gw}: body ended at chunk ${i}`);
          buf = Buffer.concat([buf, r.value]);
        }
        if (this.cutAt.delete(i)) {
          // the link dies mid-chunk: what came of this chunk is lost, ask again from its first byte
          this.refetched += len;
          ac.abort();
          break;
        }
        each(buf.subarray(0, len), i);
        buf = buf.subarray(len);
        // The window is read to its end: its connection goes back to the pool for the next one.
        if (++i >= windowEnd) break;
      }
    }
  }

  async install(m: ArtifactManifest, commandId: string, apiUrl?: string): Promise<void> {
    const whole = createHash('sha256');
    const each = (data: Buffer, i: number): void => {
      if (createHash('sha256').update(data).digest('hex') !== m.chunks[i]) throw new Error(`${this.gw}: chunk ${i} hash mismatch`);
      whole.update(data);
    };
    if (apiUrl !== undefined) await this.#fetchHttp(m, apiUrl, each);
    else for (let i = 0; i < m.chunks.length; i++) each(await this.#ask(m, i), i);
    if (whole.digest('hex') !== m.sha256) throw new Error(`${this.gw}: artifact hash mismatch`);
    const result: CommandResultEnvelope = { v: 1, type: 'command-result', id: `${commandId}.${this.gw}.SUCCEEDED`, commandId, gateway: this.gw, device: this.gw, status: 'SUCCEEDED', ts: Date.now(), output: { refetchedBytes: this.refetched } };
    await this.client!.publish(`cmd-result/${this.gw}/${this.gw}/${commandId}`, encodeEnvelope(result), 1);
    this.done = true;
  }
}

export async function run(args: BenchArgs): Promise<BenchResult> {
  const quick = boolFlag(args, 'quick');
  const sizeMb = intFlag(args, 'size-mb', quick ? 5 : 50);
  const k = intFlag(args, 'gateways', quick ? 20 : 200);
  const cuts = intFlag(args, 'cuts', 5);
  const timeoutMs = intFlag(args, 'timeout-ms', quick ? 300_000 : 900_000);
  const transport = listFlag(args, 'transport', ['mqtt'])[0];
  if (transport !== 'mqtt' && transport !== 'http') throw new Error(`--transport must be mqtt or http (got ${transport})`);
  const work = mkdtempSync(join(tmpdir(), 'causeway-bench-files-'));
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(join(work, 'cloud.json'), JSON.stringify({ files: { trustedKeys: [publicKeyLine(publicKey)] } }));
  const broker = await startCompetitor('causeway', { api: true, causewayArgs: ['--config', join(work, 'cloud.json')] });
  try {
    const api = await cloudApi(broker);
    const token = readFileSync(broker.operatorTokenFile!, 'utf8').trim();
    const content = randomBytes(sizeMb * 1024 * 1024);
    const h = new ChunkHasher(DEFAULT_CHUNK_SIZE);
    h.update(content);
    const r = h.finish();
    const manifest: ArtifactManifest = { v: 1, kind: 'file', name: 'bench-image', version: '1', target: '', path: 'bench-image', size: r.size, sha256: r.sha256, chunkSize: DEFAULT_CHUNK_SIZE, chunks: r.chunks };
    const storeBefore = sqliteUsedBytes(join(broker.dir, 'store')).total;
    const put = await fetch(`${broker.apiUrl}/v1/blobs/${r.sha256}`, { method: 'PUT', headers: { authorization: `Bearer ${token}` }, body: content });
    if (!put.ok) throw new Error(`upload: HTTP ${put.status} ${await put.text()}`);
    await api.call('POST', '/v1/artifacts', signManifest(manifest, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string));
    const secrets: string[] = [];
    await forEachConcurrent(k, 50, async (i) => void (secrets[i] = (await api.call<{ secret: string }>('POST', '/v1/devices', { id: `gw${i}`, kind: 'gateway', groups: [], tags: {} })).secret));

    const done = new Histogram();
    let t0 = 0;
    const installs: Array<Promise<void>> = [];
    const gateways: SimGateway[] = [];
    await forEachConcurrent(k, 100, async (i) => {
      const chunkCount = r.chunks.length;
      const cutAt = new Set<number>();
      while (cutAt.size < Math.min(cuts, chunkCount)) cutAt.add(Math.floor(Math.random() * chunkCount));
      const g = new SimGateway(`gw${i}`, i, broker, cutAt, (gw, signed, id) => {
        if (gw.started) return;
        gw.started = true;
        installs.push(gw.install(signed.manifest, id, transport === 'http' ? broker.apiUrl : undefined).then(() => done.record((performance.now() - t0) * 1000)));
      });
      g.secret = secrets[i]!;
      await g.connect();
      gateways[i] = g;
    });
    process.stderr.write(`    ${k} gateways connected; rolling out ${formatBytes(content.length)} over ${transport} with ${cuts} link cut(s) each\n`);
    t0 = performance.now();
    const created = await api.call<{ command: { id: string } }>('POST', '/v1/rollouts', { name: 'bench-image', version: '1', all: true });
    const deadline = Date.now() + timeoutMs;
    let allMs = NaN;
    while (Date.now() < deadline) {
      const c = await api.call<{ counts: Record<string, number> }>('GET', `/v1/commands/${created.command.id}`);
      if ((c.counts['SUCCEEDED'] ?? 0) >= k) {
        allMs = performance.now() - t0;
        break;
      }
      await sleep(200);
    }
    await Promise.allSettled(installs);
    for (const g of gateways) g?.client?.destroy();
    if (Number.isNaN(allMs)) throw new Error(`not all ${k} gateways SUCCEEDED within ${timeoutMs} ms`);
    const blobs = diskUsage(join(broker.dir, 'store', 'artifacts', 'blobs')).apparent;
    const logGrowth = sqliteUsedBytes(join(broker.dir, 'store')).total - storeBefore;
    const refetched = gateways.reduce((a, g) => a + g.refetched, 0);
    const stats = await api.call<{ chunks?: { bytes: number; stored: number }; artifacts?: Record<string, { requests: number; servedBytes: number }> }>('GET', '/v1/stats');
    const served = stats.artifacts?.[transport]?.servedBytes ?? stats.chunks?.bytes ?? 0;
    const requests = transport === 'http' ? `; ${gateways.reduce((a, g) => a + g.requests, 0)} HTTP requests` : '';
    return {
      name: 'file-rollout',
      unit: 'MB/s delivered (all gateways)',
      rows: [
        {
          case: `${sizeMb} MB × ${k} gateways, ${cuts} cuts each, over ${transport}`,
          contender: broker.label,
          ours: true,
          value: (content.length * k) / 1e6 / (allMs / 1000),
          detail: `all SUCCEEDED in ${(allMs / 1000).toFixed(1)} s (per gateway p50 ${(done.percentile(50) / 1e6).toFixed(1)} s, p99 ${(done.percentile(99) / 1e6).toFixed(1)} s); stored: content ${formatBytes(blobs)} once, store growth ${formatBytes(logGrowth)} (chunk answers unstored: ${stats.chunks?.stored ?? '?'} stored); served ${formatBytes(served)}${requests}; re-fetched ${formatBytes(refetched)} (${(refetched / k / DEFAULT_CHUNK_SIZE).toFixed(1)} chunks per gateway)`,
        },
      ],
      notes: [
        transport === 'mqtt'
          ? `artifact ${formatBytes(content.length)} in ${r.chunks.length} chunks of ${DEFAULT_CHUNK_SIZE / 1024} KiB; simulated gateways are raw MQTT clients in the bench process, one chunk in flight each`
          : `artifact ${formatBytes(content.length)} in ${r.chunks.length} chunks of ${DEFAULT_CHUNK_SIZE / 1024} KiB; simulated gateways take the install over MQTT and read the bytes with HTTP Range requests of ${WINDOW_CHUNKS} chunks each, as the agent does (a new one from the cut chunk after each cut), in the bench process; served counts bytes the cloud wrote to sockets, including those lost at a cut`,
      ],
    };
  } finally {
    await broker.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
