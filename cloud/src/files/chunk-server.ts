import { CausewayError, decodeChunkRequest, encodeChunkAnswer, formatTopic, tryParseTopic, type Logger } from '@causeway/shared';
import type { ServerQueues } from '../queues/contract.js';
import type { ArtifactStore } from './contract.js';
import type { FetchGrants } from './fetch-grants.js';
import type { ServedCounters } from './served-counters.js';

/**
 * Answers the gateways' chunk requests (issue 17): consumes the `file-req` server-side queue as the
 * reserved clustering group `_files`, and publishes each chunk on `file-chunk/{gateway}/{reqId}`, which
 * only that gateway may subscribe to (cloud/src/identity/acl.ts). Answers are QoS 0 and, when the gateway
 * is connected to this node, sent without being stored (`Broker.sendEphemeral`): the artifact is stored
 * once, not once more per gateway in the log. A gateway connected to another node gets a stored QoS 0
 * answer. A lost answer is asked for again by the gateway after files.chunkTimeoutMs. With `access`, a
 * gateway gets only content rolled out to it (ARTIFACT_NOT_ROLLED_OUT otherwise; fetch-grants.ts).
 */
export class ChunkServer {
  readonly #ac = new AbortController();
  #loop: Promise<void> | undefined;
  readonly counters = { requests: 0, served: 0, bytes: 0, refused: 0, malformed: 0, stored: 0, dropped: 0 };

  constructor(
    private readonly queues: ServerQueues,
    private readonly artifacts: ArtifactStore,
    private readonly out: {
      /** to the gateway's connection on this node, unstored; 'absent' when it is not here, 'busy' when its socket is full */
      ephemeral: (gateway: string, topic: string, payload: Buffer) => 'sent' | 'busy' | 'absent';
      /**
       * through the log, QoS 0, for a gateway connected to another node (scale-out); absent on a single
       * node, where a gateway not connected here is connected nowhere and the answer is dropped
       */
      publish?: (topic: string, payload: Buffer) => Promise<void>;
    },
    private readonly logger: Logger,
    private readonly access?: { grants: FetchGrants; served: ServedCounters },
  ) {}

  async #send(gateway: string, topic: string, payload: Buffer): Promise<void> {
    const r = this.out.ephemeral(gateway, topic, payload);
    if (r === 'sent') return;
    if (r === 'busy' || this.out.publish === undefined) {
      // A gateway that does not read its answers, or that went away: drop (QoS 0), it asks again.
      this.counters.dropped++;
      return;
    }
    this.counters.stored++;
    await this.out.publish(topic, payload);
  }

  start(): void {
    this.#loop = this.#run();
  }

  async #run(): Promise<void> {
    const spec = { queue: 'file-req', group: '_files', mode: 'clustering' as const };
    while (!this.#ac.signal.aborted) {
      try {
        const msgs = await this.queues.pull(spec, 'files', 64, 1000, this.#ac.signal);
        for (const m of msgs) await this.#answer(m.topic, m.payload);
        if (msgs.length > 0) await this.queues.ack(spec, 'files', msgs.map((m) => m.offset));
      } catch (err) {
        if (this.#ac.signal.aborted) break;
        this.logger.error('chunk server failed; retrying', { err });
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  async #answer(topic: string, payload: Buffer): Promise<void> {
    const t = tryParseTopic(topic);
    if (t === undefined || t.kind !== 'file-req') {
      this.counters.malformed++;
      return;
    }
    this.counters.requests++;
    const out = formatTopic({ kind: 'file-chunk', gateway: t.gateway, reqId: t.reqId });
    let req;
    try {
      req = decodeChunkRequest(payload);
    } catch (err) {
      this.counters.malformed++;
      this.logger.warn('chunk request dropped', { gateway: t.gateway, code: (err as CausewayError).code });
      return;
    }
    this.access?.served.request('mqtt', req.sha256);
    try {
      if (this.access !== undefined && !(await this.access.grants.allowed(t.gateway, req.sha256))) {
        throw new CausewayError('ARTIFACT_NOT_ROLLED_OUT', `no running rollout of ${req.sha256} targets gateway ${t.gateway}`);
      }
      const data = await this.artifacts.readChunk(req.sha256, req.index);
      this.counters.served++;
      this.counters.bytes += data.length;
      this.access?.served.served('mqtt', req.sha256, data.length);
      await this.#send(t.gateway, out, encodeChunkAnswer({ ...req, data }));
    } catch (err) {
      // A store that cannot be reached right now (JetStream: STORE_IO) is no refusal, which would fail the
      // gateway's install: the batch is pulled again after a pause, and the gateway asks again meanwhile.
      if (!(err instanceof CausewayError) || err.code === 'STORE_IO') throw err;
      this.counters.refused++;
      this.access?.served.refused('mqtt');
      this.logger.info('chunk request refused', { gateway: t.gateway, sha256: req.sha256, index: req.index, code: err.code });
      await this.#send(t.gateway, out, encodeChunkAnswer({ ...req, error: { code: err.code, message: err.message }, data: Buffer.alloc(0) }));
    }
  }

  async stop(): Promise<void> {
    this.#ac.abort();
    await this.#loop;
  }
}
