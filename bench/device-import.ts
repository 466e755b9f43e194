/**
 * Onboarding at fleet scale (issue 20): gateways registered per minute by causeway-cloud, by bulk import
 * (`POST /v1/devices:batch`, what `causeway devices import fleet.csv` calls) and by claim
 * (`POST /v1/register`, one HTTP call per gateway, 16 at once as a fleet booting together would), at the
 * scrypt cost `auth.kdfLogN` (default 14; `--log-n 12,14`). The goal is ≥ 1,000 gateways per minute.
 * There is no competitor: mosquitto and nats have no device registry. Each case a fresh broker.
 *
 *   npm run bench -- device-import [--quick] [--gateways 2000] [--batch 500] [--log-n 14]
 */
import { intFlag, listFlag } from './lib/args.js';
import { cloudApi } from './lib/cloud-api.js';
import { startCompetitor } from './lib/competitors.js';
import { forEachConcurrent } from './lib/raw-mqtt.js';
import type { BenchArgs, BenchResult, ResultRow } from './lib/result.js';

export const description = 'gateways registered per minute: bulk import (devices:batch) and self-registration by claim (register), at auth.kdfLogN';

export async function run(args: BenchArgs): Promise<BenchResult> {
  const quick = args['quick'] === true;
  const n = intFlag(args, 'gateways', quick ? 300 : 2000);
  const batch = intFlag(args, 'batch', 500);
  const logNs = listFlag(args, 'log-n', ['14']).map(Number);
  const rows: ResultRow[] = [];
  for (const logN of logNs) {
    for (const mode of ['import', 'claim'] as const) {
      const broker = await startCompetitor('causeway', { api: true, causewayArgs: ['--auth.kdfLogN', String(logN)] });
      try {
        const api = await cloudApi(broker);
        const t0 = performance.now();
        if (mode === 'import') {
          for (let i = 0; i < n; i += batch) {
            const devices = Array.from({ length: Math.min(batch, n - i) }, (_, k) => ({ id: `gw-${i + k}`, groups: ['fleet'], tags: { lot: 'bench' } }));
            await api.call('POST', '/v1/devices:batch', { devices });
          }
        } else {
          const { token } = await api.call<{ token: string }>('POST', '/v1/claims', { maxUses: n, ttlSeconds: 3600 });
          await forEachConcurrent(n, 16, async (i) => {
            const res = await fetch(`${broker.apiUrl}/v1/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ claimToken: token, id: `gw-${i}` }) });
            if (res.status !== 201) throw new Error(`register gw-${i}: HTTP ${res.status} ${await res.text()}`);
          });
        }
        const s = (performance.now() - t0) / 1000;
        const perMinute = (n / s) * 60;
        rows.push({ case: `${mode === 'import' ? `bulk import (batches of ${batch})` : 'claim, 16 at once'}, kdfLogN ${logN}`, contender: broker.label, ours: true, value: Math.round(perMinute), detail: `${n} gateways in ${s.toFixed(1)} s (${(n / s).toFixed(0)}/s)` });
      } finally {
        await broker.stop();
      }
    }
  }
  return {
    name: 'device-import',
    unit: 'gateways/min',
    rows,
    notes: [`${n} gateways per case, each with a fresh scrypt-hashed secret (N = 2^kdfLogN, r 8, p 1) on libuv's thread pool (4 threads); goal ≥ 1,000/min (issue 20)`],
  };
}
