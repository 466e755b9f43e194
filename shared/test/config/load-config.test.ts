import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeSchema, envNameFor, formatConfigHelp, loadConfig, validateConfigObject, type Schema } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors/config-error.js';
import { EXIT, exitCodeFor } from '../../src/errors/exit-codes.js';

const schema: Schema = {
  gateway: { id: { doc: 'gateway id', format: String, default: 'gw-local' } },
  buffer: { maxBytes: { doc: 'outbox cap in bytes', format: 'nat', default: 1024 } },
  cloud: {
    url: { doc: 'broker URL', format: String, default: 'mqtt://127.0.0.1:1883' },
    password: { doc: 'password', format: String, default: '', sensitive: true },
  },
  log: { level: { doc: 'log level', format: ['debug', 'info', 'warn', 'error'], default: 'info' } },
};

interface Cfg {
  gateway: { id: string };
  buffer: { maxBytes: number };
  cloud: { url: string; password: string };
  log: { level: string };
}

describe('shared/config/load-config', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cw-config-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const ENV_NAMES: Array<[string, string]> = [
    ['gateway.id', 'CAUSEWAY_GATEWAY_ID'],
    ['buffer.maxBytes', 'CAUSEWAY_BUFFER_MAX_BYTES'],
    ['uplink.maxBytesPerSecond', 'CAUSEWAY_UPLINK_MAX_BYTES_PER_SECOND'],
    ['auth.allowAnonymous', 'CAUSEWAY_AUTH_ALLOW_ANONYMOUS'],
  ];
  for (const [key, env] of ENV_NAMES) it(`names the env var of ${key} ${env}`, () => assert.equal(envNameFor(key), env));

  it('uses defaults, then the file, then env, then flags', () => {
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ gateway: { id: 'from-file' }, buffer: { maxBytes: 10 }, cloud: { url: 'mqtt://file' } }));
    const c = loadConfig<Cfg>(schema, {
      argv: ['--config', file, '--buffer.maxBytes', '30'],
      env: { CAUSEWAY_BUFFER_MAX_BYTES: '20', CAUSEWAY_CLOUD_URL: 'mqtt://env' },
    });
    assert.equal(c.gateway.id, 'from-file');
    assert.equal(c.cloud.url, 'mqtt://env');
    assert.equal(c.buffer.maxBytes, 30);
    assert.equal(c.log.level, 'info');
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.buffer));
  });

  it('accepts --key=value', () => {
    assert.equal(loadConfig<Cfg>(schema, { argv: ['--gateway.id=gw9'], env: {} }).gateway.id, 'gw9');
  });

  const INVALID: Array<[string, string[], Record<string, string>, RegExp]> = [
    ['a non-numeric value', ['--buffer.maxBytes', 'lots'], {}, /buffer\.maxBytes.*lots/],
    ['a value outside an enum', [], { CAUSEWAY_LOG_LEVEL: 'chatty' }, /log\.level.*chatty/],
    ['an unknown flag', ['--buffer.maxbytes', '1'], {}, /unknown option --buffer\.maxbytes/],
    ['a missing config file', ['--config', '/nonexistent/x.json'], {}, /does not exist/],
  ];
  for (const [what, argv, env, msg] of INVALID) {
    it(`rejects ${what} with a ConfigError naming the key and value (exit 78)`, () => {
      assert.throws(
        () => loadConfig(schema, { argv, env }),
        (e: unknown) => e instanceof ConfigError && msg.test(e.message) && exitCodeFor(e) === EXIT.CONFIG,
      );
    });
  }

  it('rejects unknown keys in a config file', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ gateway: { idd: 'typo' } }));
    assert.throws(() => loadConfig(schema, { argv: ['--config', file], env: {} }), (e: unknown) => e instanceof ConfigError && /gateway\.idd/.test(e.message));
  });

  // issue 23 item 2
  for (const [what, text, key] of [
    ['__proto__', '{"__proto__":{"polluted":1}}', '__proto__'],
    ['a nested constructor.prototype', '{"cloud":{"constructor":{"prototype":{"polluted":1}}}}', 'cloud.constructor'],
    ['prototype', '{"buffer":{"prototype":1}}', 'buffer.prototype'],
  ] as const) {
    it(`rejects a config file with ${what}, naming ${key} (exit 78), without polluting`, () => {
      const file = join(dir, 'proto.json');
      writeFileSync(file, text);
      assert.throws(
        () => loadConfig(schema, { argv: ['--config', file], env: {} }),
        (e: unknown) => e instanceof ConfigError && e.key === key && e.message.includes(key) && exitCodeFor(e) === EXIT.CONFIG,
      );
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });
  }

  it('rejects a config file that is not JSON', () => {
    const file = join(dir, 'garbage.json');
    writeFileSync(file, '{ not json');
    assert.throws(() => loadConfig(schema, { argv: ['--config', file], env: {} }), ConfigError);
  });

  it('never prints a sensitive value in an error or in --help', () => {
    const help = formatConfigHelp({ cloud: { password: { doc: 'pw', format: String, default: 'hunter2', sensitive: true } } });
    assert.ok(!help.includes('hunter2'));
    assert.match(help, /CAUSEWAY_CLOUD_PASSWORD/);
    const schemaWithCheck: Schema = {
      cloud: { password: { doc: 'pw', format: (v: unknown) => { if (String(v).length < 20) throw new Error('must be at least 20 characters'); }, default: 'x'.repeat(20), sensitive: true } },
    };
    try {
      loadConfig(schemaWithCheck, { argv: ['--cloud.password', 'hunter2'], env: {} });
      assert.fail('should throw');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.ok(!err.message.includes('hunter2'), err.message);
    }
  });

  it('describes every key for help and docs', () => {
    const keys = describeSchema(schema).map((e) => e.key);
    assert.deepEqual(keys, ['gateway.id', 'buffer.maxBytes', 'cloud.url', 'cloud.password', 'log.level']);
    assert.match(formatConfigHelp(schema), /--buffer\.maxBytes <whole number ≥ 0>\n\s+outbox cap in bytes\n\s+env CAUSEWAY_BUFFER_MAX_BYTES, default 1024/);
  });
});

describe('shared/config/validateConfigObject', () => {
  const schema: Schema = {
    uplink: { inflight: { doc: 'in flight', format: 'nat', default: 8 } },
    log: { level: { doc: 'level', format: ['info', 'debug'], default: 'info' } },
  };
  const TABLE: Array<[string, Record<string, unknown>, RegExp | null]> = [
    ['a valid object', { uplink: { inflight: 3 } }, null],
    ['a wrong type', { uplink: { inflight: 'many' } }, /uplink\.inflight/],
    ['an unknown key', { uplink: { inflite: 3 } }, /uplink\.inflite/],
    ['a value outside the enum', { log: { level: 'loud' } }, /log\.level/],
    ['__proto__ (issue 23 item 2)', JSON.parse('{"uplink":{"__proto__":{"inflight":3}}}') as Record<string, unknown>, /uplink\.__proto__/],
    ['constructor (issue 23 item 2)', JSON.parse('{"constructor":{"prototype":{}}}') as Record<string, unknown>, /constructor/],
  ];
  for (const [what, obj, err] of TABLE) {
    it(`${err === null ? 'accepts' : 'rejects'} ${what}`, () => {
      if (err === null) assert.equal(validateConfigObject<{ uplink: { inflight: number } }>(schema, obj).uplink.inflight, 3);
      else assert.throws(() => validateConfigObject(schema, obj), (e: unknown) => e instanceof ConfigError && err.test(e.message) && e.key !== undefined);
    });
  }
});
