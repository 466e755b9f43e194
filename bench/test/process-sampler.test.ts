import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { parseCpuTicks, parseVmRssKiB, parseWriteBytes, ProcSampler, readWriteBytes, sampleProcess } from '../lib/process-sampler.js';

describe('bench process-sampler', () => {
  const rssCases: Array<[string, string, number]> = [
    ['a normal status file', 'Name:\tnode\nVmPeak:\t  999 kB\nVmRSS:\t   51234 kB\nRssAnon:\t 1 kB\n', 51234],
    ['no VmRSS line (zombie)', 'Name:\tnode\nState:\tZ (zombie)\n', Number.NaN],
  ];
  for (const [name, text, want] of rssCases) {
    it(`parseVmRssKiB: ${name}`, () => assert.deepEqual(parseVmRssKiB(text), want));
  }

  // fields: pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
  const statCases: Array<[string, string, number]> = [
    ['plain name', '42 (node) S 1 42 42 0 -1 4194304 100 0 0 0 150 25 0 0 20 0 11 0', 175],
    ['name with spaces and parentheses', '42 (my (odd) name) R 1 42 42 0 -1 4194304 100 0 0 0 7 3 0 0 20 0 1 0', 10],
    ['truncated line', '42 (node) S 1 42', Number.NaN],
    ['no parenthesis', 'garbage', Number.NaN],
  ];
  for (const [name, text, want] of statCases) {
    it(`parseCpuTicks: ${name}`, () => assert.deepEqual(parseCpuTicks(text), want));
  }

  const ioCases: Array<[string, string, number]> = [
    ['a normal io file', 'rchar: 10\nwchar: 20\nsyscr: 1\nsyscw: 2\nread_bytes: 4096\nwrite_bytes: 81920\ncancelled_write_bytes: 0\n', 81920],
    ['no write_bytes (kernel without task IO accounting)', 'rchar: 10\nwchar: 20\n', Number.NaN],
    ['cancelled_write_bytes alone is not write_bytes', 'cancelled_write_bytes: 5\n', Number.NaN],
  ];
  for (const [name, text, want] of ioCases) {
    it(`parseWriteBytes: ${name}`, () => assert.deepEqual(parseWriteBytes(text), want));
  }

  it('readWriteBytes: this process has a count; a missing pid gives NaN', () => {
    assert.ok(Number.isFinite(readWriteBytes()));
    assert.ok(Number.isNaN(readWriteBytes(2 ** 22 + 7)));
  });

  it('samples a real busy child: RSS above zero, CPU time grows, undefined once it is gone', async function () {
    this.timeout(10_000);
    const child = spawn(process.execPath, ['-e', 'const end = Date.now() + 800; while (Date.now() < end) {}'], { stdio: 'ignore' });
    const exited = new Promise((res) => child.once('exit', res));
    const sampler = new ProcSampler(child.pid!, 50);
    sampler.start();
    await new Promise((res) => setTimeout(res, 500));
    const r = sampler.stop();
    assert.ok(r.rssMaxKiB > 1000, `rss ${r.rssMaxKiB} KiB`);
    assert.ok(r.samples >= 3, `samples ${r.samples}`);
    // at least one clock tick: a loaded CI box may give the spinning child only a slice of a core
    assert.ok(r.cpuSeconds > 0, `cpu ${r.cpuSeconds} s over ~0.5 s of a spinning child`);
    await exited;
    assert.equal(sampleProcess(child.pid!), undefined);
  });
});
