import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@causeway/shared';
import type { Dbc } from '@causeway/shared/can/index.js';
import { startDbcFeed, type DbcFeed } from '../../../src/ingest/can/dbc-feed.js';
import { waitUntil } from '../helpers/sim-process.js';

const dbcNaming = (signal: string): string => `BO_ 1024 Battery: 4 BMS\n SG_ ${signal} : 16|8@1+ (0.5,0) [0|100] "%" X\n`;
const BROKEN = 'BO_ 256 M: 2 X\n SG_ S : 8|16@1+ (1,0) [0|0] "" X\n';
/** the signal names of the DBC in use, or 'none' */
const signals = (dbc: Dbc | undefined): string => (dbc === undefined ? 'none' : [...dbc.messages.values()].flatMap((m) => m.signals.map((s) => s.name)).join(','));

describe('edge/ingest/can/dbc-feed: a CAN source DBC from its watched file or a remote config', () => {
  let dir: string;
  let feed: DbcFeed | undefined;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'dbc-feed-'))));
  afterEach(() => {
    feed?.stop();
    feed = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (path: string | undefined, remote?: string): { used: string[]; counters: { loaded: number; failed: number } } => {
    const used: string[] = [];
    const counters = { loaded: 0, failed: 0 };
    feed = startDbcFeed({ name: 'bus', ...(path === undefined ? {} : { path }), pathKey: 'ingest.can[0].dbc', ...(remote === undefined ? {} : { remote }), apply: (d) => used.push(signals(d)), counters, logger: silentLogger, watchIntervalMs: 20 });
    return { used, counters };
  };
  // a file's mtime has a granularity: make each write visibly different
  const later = (): Promise<void> => new Promise((r) => setTimeout(r, 30));

  it('a changed file is loaded without a signal; a broken one is counted failed and the previous stays', async () => {
    const path = join(dir, 'bus.dbc');
    writeFileSync(path, dbcNaming('SoC'));
    const { used, counters } = start(path);
    await later();
    writeFileSync(path, dbcNaming('StateOfCharge'));
    await waitUntil(() => used.length === 1, 5000, () => `the changed DBC applied; ${JSON.stringify(used)}`);
    assert.deepEqual(used, ['StateOfCharge']);
    assert.deepEqual(counters, { loaded: 1, failed: 0 });

    await later();
    writeFileSync(path, BROKEN);
    await waitUntil(() => counters.failed === 1, 5000, () => `the broken DBC counted; ${JSON.stringify(counters)}`);
    assert.deepEqual(used, ['StateOfCharge'], 'nothing applied: the DBC in use stays');
  });

  it('a file replaced by rename (how an installer writes) is seen; a removed one keeps the DBC in use', async () => {
    const path = join(dir, 'bus.dbc');
    writeFileSync(path, dbcNaming('SoC'));
    const { used, counters } = start(path);
    await later();
    writeFileSync(join(dir, 'bus.dbc.tmp'), dbcNaming('Charge'));
    renameSync(join(dir, 'bus.dbc.tmp'), path);
    await waitUntil(() => used.length === 1, 5000, () => `the renamed DBC applied; ${JSON.stringify(used)}`);
    assert.deepEqual(used, ['Charge']);
    unlinkSync(path);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(counters, { loaded: 1, failed: 0 });
    assert.deepEqual(used, ['Charge']);
  });

  it('a remote DBC is used over the file; file changes wait until it is removed, then the file applies again', async () => {
    const path = join(dir, 'bus.dbc');
    writeFileSync(path, dbcNaming('SoC'));
    const { used, counters } = start(path, dbcNaming('RemoteSoC'));
    await later();
    writeFileSync(path, dbcNaming('FileSoC'));
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(used, [], 'the remote DBC stays in use');
    feed!.reloadFile();
    assert.deepEqual(used, [], 'SIGHUP too leaves the remote DBC in use');
    feed!.setRemote(dbcNaming('Remote2'));
    feed!.setRemote(dbcNaming('Remote2')); // the same text again (a config change elsewhere): nothing to do
    feed!.setRemote(undefined);
    assert.deepEqual(used, ['Remote2', 'FileSoC']);
    assert.deepEqual(counters, { loaded: 2, failed: 0 });
  });

  it('without a file, removing the remote DBC leaves none', () => {
    const { used } = start(undefined, dbcNaming('SoC'));
    feed!.setRemote(undefined);
    assert.deepEqual(used, ['none']);
  });
});
