import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IngestConfig } from '../../src/ingest/ingest-schema.js';
import { roadsideValues, ROADSIDE_COLUMNS } from '@causeway/sim/profiles/roadside-unit.js';
import { SimProcess, waitUntil } from '../ingest/helpers/sim-process.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

describe('edge e2e 18: ingest-kill9 @e2e: an ACKed row survives kill -9 of the ingest process', function () {
  this.timeout(60_000);
  let dir: string;
  let sim: SimProcess | undefined;
  const children: ChildProcess[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'causeway-ingest-k9-'));
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const startChild = async (cfg: string, out: string): Promise<ChildProcess> => {
    const c = spawn(process.execPath, ['--import', 'tsx', 'edge/test/ingest/helpers/ingest-child.ts', cfg, out], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(c);
    let text = '';
    c.stdout!.on('data', (b: Buffer) => (text += b.toString()));
    await waitUntil(() => text.includes('ready'), 15_000, () => 'ingest child ready');
    return c;
  };

  /** roadTemp is 3 − 0.01·seq: unique per row, so the file tells which rows it holds. */
  const rowsInFile = (out: string): Map<number, number> => {
    const seen = new Map<number, number>();
    if (!existsSync(out)) return seen;
    for (const line of readFileSync(out, 'utf8').split('\n')) {
      let r: { stream?: string; value?: number };
      try {
        r = JSON.parse(line) as typeof r;
      } catch {
        continue; // the line kill -9 cut short, if any
      }
      if (r.stream === 'roadTemp') {
        const seq = Math.round((3 - r.value!) * 100);
        seen.set(seq, (seen.get(seq) ?? 0) + 1);
      }
    }
    return seen;
  };

  it('every ACK the device received is in the durable file; after restart the device retransmits the rest', async () => {
    const link = join(dir, 'rsu');
    const out = join(dir, 'readings.jsonl');
    const cfgPath = join(dir, 'ingest.json');
    const cfg: IngestConfig = {
      ports: [{ path: link, device: 'rsu-1', protocol: { type: 'csv', columns: [...ROADSIDE_COLUMNS] }, ack: 'ACK {seq}' }],
      rules: [],
      tickMs: 1000,
      reopen: { initialMs: 50, maxMs: 200 },
      mqtt: { url: '', clientId: '', username: '', password: '', sources: [] },
    };
    writeFileSync(cfgPath, JSON.stringify(cfg));
    const N = 400;
    sim = new SimProcess(['serial', '--profile', 'roadside-unit', '--link', link, '--rate', '100', '--count', String(N), '--seed', '9']);
    // No --wait-peer: rows sent before the edge opens the port (or while it is dead) are flushed away
    // by the tty open, as on real hardware; the device's retransmit-until-ACK brings them back.
    const first = await startChild(cfgPath, out);
    await sim.waitFor('acked', 80, 20_000);
    first.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 300)); // let the sim report the ACKs already on the wire
    const ackedAtKill = sim.of('acked').map((e) => e.seq as number);
    const durable = rowsInFile(out);
    const missing = ackedAtKill.filter((s) => !durable.has(s));
    assert.deepEqual(missing, [], 'an ACKed row is missing from the durable file');
    assert.ok(ackedAtKill.length >= 80);

    await startChild(cfgPath, out);
    await waitUntil(() => new Set(sim!.of('acked').map((e) => e.seq)).size === N, 30_000, () => `all ${N} rows ACKed; have ${new Set(sim!.of("acked").map((e) => e.seq)).size}; sim: ${JSON.stringify(sim!.events.filter((e) => e.event !== "acked" && e.event !== "ack-timeout").slice(-8))} ${sim!.stderr}`);
    const rows = rowsInFile(out);
    const lost = [...Array(N).keys()].filter((s) => !rows.has(s));
    assert.deepEqual(lost, [], 'rows lost across the kill');
    for (const [seq] of rows) assert.ok(seq >= 0 && seq < N);
    assert.equal(roadsideValues(0, 9, 0).roadTemp, 3);
    const dupes = [...rows.values()].filter((n) => n > 1).length;
    // At-least-once: a row committed but not yet ACKed when the process died comes again.
    assert.ok(dupes <= ackedAtKill.length + 50, `${dupes} duplicated rows`);
  });
});
