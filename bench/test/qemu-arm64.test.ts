import assert from 'node:assert/strict';
import { arm64MissingReason, ratioVerdict, type Arm64Found } from '../lib/qemu-arm64.js';

describe('bench qemu-arm64', () => {
  const all: Arm64Found = { runner: ['qemu-aarch64', '-L', '/usr/aarch64-linux-gnu'], node: '/c/node', sea: '/p/causeway-edge' };
  const cases: Array<[string, Arm64Found, RegExp | undefined]> = [
    ['everything there', all, undefined],
    ['no qemu: names the Debian package, no build hint', { ...all, runner: undefined }, /^qemu-aarch64 not installed \(apt-get install qemu-user\)$/],
    ['no arm64 node: the package command', { ...all, node: undefined }, /^no arm64 node .*\(run: npm run package -- --target linux-arm64\)$/],
    ['no executable: the package command', { ...all, sea: undefined }, /^no dist\/package\/linux-arm64\/causeway-edge \(run: npm run package/],
    ['nothing: every reason, one hint', { runner: undefined, node: undefined, sea: undefined }, /^qemu.*; no arm64 node.*; no dist.*\(run: npm run package -- --target linux-arm64\)$/],
  ];
  for (const [name, found, want] of cases) {
    it(`arm64MissingReason: ${name}`, () => {
      const got = arm64MissingReason(found);
      if (want === undefined) assert.equal(got, undefined);
      else assert.match(got ?? '', want);
    });
  }

  const verdicts: Array<[string, { rssMiB: number; cpuMicrosPerReading: number }, { rssMiB: number; cpuMicrosPerReading: number }, RegExp[]]> = [
    ['within both targets', { rssMiB: 80, cpuMicrosPerReading: 150 }, { rssMiB: 75, cpuMicrosPerReading: 100 }, [/= 1\.50× — meets the ≤ 1\.5× target/, /= 1\.07× \(\+5\.0 MiB — meets the ≤ \+10 MiB target\)/]],
    ['over both targets', { rssMiB: 90, cpuMicrosPerReading: 151 }, { rssMiB: 75, cpuMicrosPerReading: 100 }, [/= 1\.51× — MISSES/, /\+15\.0 MiB — MISSES/]],
    ['smaller than the baseline', { rssMiB: 70, cpuMicrosPerReading: 90 }, { rssMiB: 75, cpuMicrosPerReading: 100 }, [/= 0\.90× — meets/, /\(-5\.0 MiB — meets/]],
    ['a baseline without CPU figure', { rssMiB: 70, cpuMicrosPerReading: 90 }, { rssMiB: 75, cpuMicrosPerReading: 0 }, [/µs = — — not measured/]],
  ];
  for (const [name, ours, base, want] of verdicts) {
    it(`ratioVerdict: ${name}`, () => {
      const got = ratioVerdict('a ÷ b at 100/s', ours, base);
      assert.ok(got.startsWith('a ÷ b at 100/s: '), got);
      for (const w of want) assert.match(got, w);
    });
  }
});
