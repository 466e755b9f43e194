import { tryDecodeEnvelope, tryParseTopic, type Logger } from '@causeway/shared';
import type { ServerQueues } from '../queues/contract.js';
import type { CommandService } from './command-service.js';
import type { ConfigService } from './config-service.js';
import type { FleetStatusStore, GatewayStatusRecord } from '../fleet/fleet-store.js';

/**
 * The control plane is itself a backend app of the server-side queues: it consumes `cmd-result`,
 * `config-reported` and `status` as the clustering group `_control` and feeds the command and config
 * services and the fleet's latest statuses (issue 20).
 * Messages are acked after they are applied, so a crash replays them (state updates are idempotent).
 */
export class ControlConsumer {
  readonly #ac = new AbortController();
  readonly #loops: Promise<void>[] = [];
  readonly counters = { results: 0, reports: 0, statuses: 0, malformed: 0 };

  constructor(
    private readonly queues: ServerQueues,
    private readonly commands: CommandService,
    private readonly config: ConfigService,
    private readonly logger: Logger,
    private readonly fleet?: FleetStatusStore,
  ) {}

  start(): void {
    this.#loops.push(this.#loop('cmd-result'), this.#loop('config-reported'));
    if (this.fleet !== undefined) this.#loops.push(this.#loop('status'));
  }

  async #loop(queue: 'cmd-result' | 'config-reported' | 'status'): Promise<void> {
    const spec = { queue, group: '_control', mode: 'clustering' as const };
    while (!this.#ac.signal.aborted) {
      try {
        const msgs = await this.queues.pull(spec, 'control', 200, 1000, this.#ac.signal);
        const statuses: GatewayStatusRecord[] = [];
        for (const m of msgs) await this.#apply(queue, m.topic, m.payload, m.createdAt, statuses);
        if (statuses.length > 0) await this.fleet?.putStatuses(statuses);
        if (msgs.length > 0) await this.queues.ack(spec, 'control', msgs.map((m) => m.offset));
      } catch (err) {
        if (this.#ac.signal.aborted) break;
        this.logger.error('control consumer failed; retrying', { queue, err });
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  async #apply(queue: string, topic: string, payload: Buffer, createdAt: number, statuses: GatewayStatusRecord[]): Promise<void> {
    const t = tryParseTopic(topic);
    const d = tryDecodeEnvelope(payload);
    if (t === undefined || !d.ok) {
      this.counters.malformed++;
      this.logger.warn('control message dropped', { topic, reason: d.ok ? 'topic' : d.error.code });
      return;
    }
    if (queue === 'cmd-result' && t.kind === 'cmd-result' && d.envelope.type === 'command-result') {
      this.counters.results++;
      await this.commands.handleResult({ gateway: t.gateway, device: t.device, commandId: t.commandId }, d.envelope);
    } else if (queue === 'config-reported' && t.kind === 'config-reported' && d.envelope.type === 'config-reported') {
      this.counters.reports++;
      await this.config.handleReported(t.gateway, d.envelope);
    } else if (queue === 'status' && t.kind === 'status' && d.envelope.type === 'status' && d.envelope.gateway === t.gateway && this.fleet !== undefined) {
      // Only the gateway itself may publish on status/{gw} (ACL), and its will is stored at the
      // disconnect: createdAt is when the cloud heard it, the envelope's ts the gateway's own clock.
      this.counters.statuses++;
      const e = d.envelope;
      statuses.push({
        gateway: t.gateway,
        online: e.online,
        reportedAt: e.ts,
        receivedAt: createdAt,
        ...(e.agentVersion === undefined ? {} : { agentVersion: e.agentVersion }),
        ...(e.health === undefined ? {} : { health: e.health, clockOffsetMs: e.ts - createdAt }),
      });
    } else this.counters.malformed++;
  }

  async stop(): Promise<void> {
    this.#ac.abort();
    await Promise.all(this.#loops);
  }
}
