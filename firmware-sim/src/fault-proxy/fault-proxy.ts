import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback that breaks the link between an edge agent and its broker on purpose:
 * cut (close every connection and refuse new ones), blackhole (accept, then drop every byte, like a
 * dead cellular link that never sends a FIN), delay, throttle and flap (cut/restore on a schedule).
 * Programmatic: the end-to-end tests drive it between steps.
 *
 * @example
 * const proxy = await startFaultProxy({ targetPort: broker.port });
 * proxy.cut(); … proxy.restore();
 */
export type FaultMode = 'pass' | 'cut' | 'blackhole' | 'refuse-new';

export interface FaultProxyOptions {
  targetPort: number;
  targetHost?: string;
  /** 0 (default): any free port */
  listenPort?: number;
}

export interface FaultProxyStats {
  accepted: number;
  refused: number;
  cuts: number;
  bytesUp: number;
  bytesDown: number;
  dropped: number;
}

export interface FaultProxy {
  readonly port: number;
  readonly mode: FaultMode;
  readonly connections: number;
  readonly stats: FaultProxyStats;
  cut(): void;
  blackhole(): void;
  /** keep the connections that are up, refuse new ones (a link that breaks at the next reconnect) */
  refuseNew(): void;
  restore(): void;
  /** added one-way latency per chunk, ms */
  setDelay(ms: number): void;
  /** per direction, bytes/s; 0 = unlimited */
  setThrottle(bytesPerSecond: number): void;
  /** alternate `downMs` of `mode` (default cut) and `upMs` of pass, until stopFlap/restore/close */
  flap(o: { downMs: number; upMs: number; mode?: 'cut' | 'blackhole' }): void;
  stopFlap(): void;
  close(): Promise<void>;
}

const HIGH_WATER = 1 << 20;
const TICK_MS = 10;

/** One direction of one connection: a queue released by delay and throttle. */
class Lane {
  private q: Array<{ at: number; buf: Buffer }> = [];
  private queued = 0;
  private timer: NodeJS.Timeout | undefined;
  private last = Date.now();
  private budget = 0;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly p: { delayMs: () => number; rate: () => number; mode: () => FaultMode; count: (n: number, dropped: boolean) => void },
  ) {
    from.on('data', (buf: Buffer) => this.push(buf));
  }

  private push(buf: Buffer): void {
    if (this.p.mode() === 'blackhole') {
      this.p.count(buf.length, true);
      return;
    }
    this.q.push({ at: Date.now() + this.p.delayMs(), buf });
    this.queued += buf.length;
    if (this.queued > HIGH_WATER) this.from.pause();
    this.drain();
  }

  drain(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = Date.now();
    const rate = this.p.rate();
    if (rate > 0) {
      this.budget = Math.min(rate, this.budget + ((now - this.last) * rate) / 1000);
    }
    this.last = now;
    while (this.q.length > 0) {
      if (this.p.mode() === 'blackhole') {
        for (const c of this.q) this.p.count(c.buf.length, true);
        this.q = [];
        this.queued = 0;
        break;
      }
      const head = this.q[0]!;
      if (head.at > now) break;
      let n = head.buf.length;
      if (rate > 0) {
        n = Math.min(n, Math.floor(this.budget));
        if (n <= 0) break;
        this.budget -= n;
      }
      const part = head.buf.subarray(0, n);
      if (n === head.buf.length) this.q.shift();
      else head.buf = head.buf.subarray(n);
      this.queued -= n;
      if (!this.to.destroyed) this.to.write(part);
      this.p.count(n, false);
    }
    if (this.queued <= HIGH_WATER && this.from.isPaused()) this.from.resume();
    if (this.q.length > 0) this.timer = setTimeout(() => this.drain(), TICK_MS);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.q = [];
  }
}

export async function startFaultProxy(o: FaultProxyOptions): Promise<FaultProxy> {
  const host = o.targetHost ?? '127.0.0.1';
  let mode: FaultMode = 'pass';
  let delayMs = 0;
  let rate = 0;
  let flapTimer: NodeJS.Timeout | undefined;
  const pairs = new Set<{ a: Socket; b: Socket; lanes: Lane[] }>();
  const stats: FaultProxyStats = { accepted: 0, refused: 0, cuts: 0, bytesUp: 0, bytesDown: 0, dropped: 0 };

  const server: Server = createServer((client) => {
    if (mode === 'cut' || mode === 'refuse-new') {
      stats.refused++;
      client.destroy();
      return;
    }
    stats.accepted++;
    const upstream = createConnection({ port: o.targetPort, host });
    const pair = { a: client, b: upstream, lanes: [] as Lane[] };
    const params = (up: boolean) => ({
      delayMs: () => delayMs,
      rate: () => rate,
      mode: () => mode,
      count: (n: number, dropped: boolean) => {
        if (dropped) stats.dropped += n;
        else if (up) stats.bytesUp += n;
        else stats.bytesDown += n;
      },
    });
    pair.lanes.push(new Lane(client, upstream, params(true)), new Lane(upstream, client, params(false)));
    pairs.add(pair);
    const end = (): void => {
      if (!pairs.delete(pair)) return;
      for (const l of pair.lanes) l.stop();
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on('error', end);
      s.on('close', end);
      // A half-close is passed on as a full close: MQTT has no use for half-open connections.
      s.on('end', end);
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.listenPort ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;

  const cutAll = (): void => {
    mode = 'cut';
    stats.cuts++;
    for (const p of [...pairs]) {
      // resetAndDestroy sends an RST, as a dropped NAT mapping or a rebooted router would.
      p.a.resetAndDestroy();
      p.b.destroy();
    }
  };
  const setPass = (): void => {
    mode = 'pass';
    for (const p of pairs) for (const l of p.lanes) l.drain();
  };
  const stopFlap = (): void => {
    clearTimeout(flapTimer);
    flapTimer = undefined;
  };

  return {
    port,
    get mode() {
      return mode;
    },
    get connections() {
      return pairs.size;
    },
    stats,
    cut: () => {
      stopFlap();
      cutAll();
    },
    blackhole: () => {
      stopFlap();
      mode = 'blackhole';
    },
    refuseNew: () => {
      stopFlap();
      mode = 'refuse-new';
    },
    restore: () => {
      stopFlap();
      setPass();
    },
    setDelay: (ms) => {
      delayMs = Math.max(0, ms);
    },
    setThrottle: (bps) => {
      rate = Math.max(0, bps);
    },
    flap: ({ downMs, upMs, mode: down = 'cut' }) => {
      stopFlap();
      const goDown = (): void => {
        if (down === 'cut') cutAll();
        else mode = 'blackhole';
        flapTimer = setTimeout(goUp, downMs);
      };
      const goUp = (): void => {
        setPass();
        flapTimer = setTimeout(goDown, upMs);
      };
      goDown();
    },
    stopFlap,
    close: async () => {
      stopFlap();
      for (const p of [...pairs]) {
        p.a.destroy();
        p.b.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
