import assert from 'node:assert/strict';
import { createLogger, redact, REDACTED } from '../../src/log/logger.js';
import { CausewayError } from '../../src/errors/causeway-error.js';

describe('shared/log/logger', () => {
  it('writes one JSON object per line with level, msg and fields', () => {
    const lines: string[] = [];
    const log = createLogger({ name: 'edge', write: (l) => lines.push(l) }).child({ gateway: 'gw1' });
    log.info('connected', { broker: 'mqtt://x' });
    log.debug('hidden');
    assert.equal(lines.length, 1);
    assert.ok(lines[0]!.endsWith('\n'));
    const rec = JSON.parse(lines[0]!);
    assert.equal(rec.level, 'info');
    assert.equal(rec.msg, 'connected');
    assert.equal(rec.name, 'edge');
    assert.equal(rec.gateway, 'gw1');
    assert.equal(rec.broker, 'mqtt://x');
    assert.ok(!Number.isNaN(Date.parse(rec.ts)));
  });

  const SECRETS: Array<Record<string, unknown>> = [
    { password: 'hunter2' },
    { cloud: { password: 'hunter2' } },
    { token: 'hunter2' },
    { apiKey: 'hunter2' },
    { Authorization: 'Bearer hunter2' },
    { clientSecret: 'hunter2' },
    { list: [{ credentials: 'hunter2' }] },
  ];
  for (const fields of SECRETS) {
    it(`never writes the secret in ${JSON.stringify(fields)}`, () => {
      const lines: string[] = [];
      createLogger({ level: 'debug', write: (l) => lines.push(l) }).error('x', fields);
      assert.ok(!lines.join('').includes('hunter2'), lines.join(''));
      assert.ok(lines.join('').includes(REDACTED));
    });
  }

  // issue 23 item 15: a config key's name is not a secret; it is logged as configKey, which stays readable
  it('writes the name of a config key logged as configKey (a field named key is redacted)', () => {
    const lines: string[] = [];
    createLogger({ write: (l) => lines.push(l) }).warn('desired config rejected', { configKey: 'cloud.url', key: 'hunter2' });
    const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(rec.configKey, 'cloud.url');
    assert.equal(rec.key, REDACTED);
  });

  it('serialises errors with code and cause, and buffers as a length', () => {
    const err = new CausewayError('STORE_FULL', 'full', { cause: new Error('disk') });
    assert.deepEqual(redact({ err, body: Buffer.alloc(5) }), {
      err: { name: 'CausewayError', message: 'full', code: 'STORE_FULL', cause: { name: 'Error', message: 'disk' } },
      body: '[5 bytes]',
    });
  });
  it('under systemd, prefixes each line with its syslog priority so journald maps the level', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'debug', journald: true, write: (l) => lines.push(l) }).child({ part: 'x' });
    log.error('e');
    log.warn('w');
    log.info('i');
    log.debug('d');
    assert.deepEqual(lines.map((l) => l.slice(0, 3)), ['<3>', '<4>', '<6>', '<7>']);
    assert.equal(JSON.parse(lines[0]!.slice(3)).msg, 'e');
  });
  it('clips any string field to a bounded length (issue 23 item 7)', () => {
    const lines: string[] = [];
    createLogger({ write: (l) => lines.push(l) }).warn('refused', { clientId: 'x'.repeat(60_000), err: new Error('y'.repeat(60_000)) });
    assert.ok(lines[0]!.length < 3000, `line of ${lines[0]!.length} chars`);
    assert.match(lines[0]!, /… \(60000 chars\)/);
  });
});
