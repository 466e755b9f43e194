import assert from 'node:assert/strict';
import { parseSinks, sinkGroup } from '../../src/sinks/sink-spec.js';

const pg = { type: 'postgres', url: 'postgres://causeway@127.0.0.1:5432/telemetry' };
const hook = { type: 'webhook', url: 'https://hooks.example/in', secretFile: '/etc/causeway/hook.key' };

describe('sinks/sink-spec: the sinks config', () => {
  it('fills the defaults: readings transform, table sink_<name>, 500 messages a batch, running', () => {
    const [s] = parseSinks([{ name: 'pg-tel', queue: 'telemetry', target: pg }]);
    assert.deepEqual(s, { name: 'pg-tel', queue: 'telemetry', transform: { type: 'readings' }, target: { ...pg, table: 'sink_pg_tel' }, maxMessages: 500, paused: false });
    assert.equal(sinkGroup('pg-tel'), '_sink-pg-tel');
  });

  it('a webhook with a filter and a timeout', () => {
    const [s] = parseSinks([{ name: 'alarms', queue: 'events', filter: '/+/+/overheat', transform: { type: 'fields', fields: { sev: 'severity' } }, target: { ...hook, timeoutMs: 2000 } }]);
    assert.equal(s!.filter, '/+/+/overheat');
    assert.deepEqual(s!.target, { ...hook, timeoutMs: 2000, allowHttp: false });
  });

  it('http:// is fine to loopback, and elsewhere with allowHttp', () => {
    assert.doesNotThrow(() => parseSinks([{ name: 'a', queue: 'events', target: { ...hook, url: 'http://127.0.0.1:9000/in' } }]));
    assert.doesNotThrow(() => parseSinks([{ name: 'a', queue: 'events', target: { ...hook, url: 'http://ops.lan/in', allowHttp: true } }]));
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['not a list', { name: 'x' }, /must be a list of sinks/],
    ['an unknown key', [{ name: 'a', queue: 'telemetry', target: pg, extra: 1 }], /\[0\]: unknown key "extra"/],
    ['an upper-case name', [{ name: 'PG', queue: 'telemetry', target: pg }], /\[0\]\.name must be lower-case/],
    ['no queue', [{ name: 'a', target: pg }], /\[0\]\.queue must be a non-empty string/],
    ['a filter without "/"', [{ name: 'a', queue: 'telemetry', filter: 'gw1/#', target: pg }], /\[0\]\.filter must start with "\/"/],
    ['a bad filter', [{ name: 'a', queue: 'telemetry', filter: '/gw1/#/x', target: pg }], /\[0\]\.filter "\/gw1\/#\/x" is not a topic filter/],
    ['an unknown target type', [{ name: 'a', queue: 'telemetry', target: { type: 'kafka' } }], /\[0\]\.target\.type must be postgres or webhook/],
    ['a password in the postgres URL', [{ name: 'a', queue: 'telemetry', target: { ...pg, url: 'postgres://u:hunter2@h/db' } }], /must not hold a password/],
    ['a postgres URL that is http', [{ name: 'a', queue: 'telemetry', target: { ...pg, url: 'http://h/db' } }], /must start with postgres:\/\//],
    ['a bad table name', [{ name: 'a', queue: 'telemetry', target: { ...pg, table: 'x; drop' } }], /table must be a lower-case SQL name/],
    ['a webhook without a secret', [{ name: 'a', queue: 'events', target: { type: 'webhook', url: 'https://h/x' } }], /secretFile must be a non-empty string/],
    ['a webhook URL with a query', [{ name: 'a', queue: 'events', target: { ...hook, url: 'https://h/x?token=1' } }], /no query string/],
    ['a zero timeout', [{ name: 'a', queue: 'events', target: { ...hook, timeoutMs: 0 } }], /timeoutMs must be a whole number from 1/],
    ['two sinks with one name', [{ name: 'a', queue: 'telemetry', target: pg }, { name: 'a', queue: 'events', target: hook }], /\[1\]\.name "a" is used by two sinks/],
    ['two sinks on one table', [{ name: 'a', queue: 'telemetry', target: { ...pg, table: 't' } }, { name: 'b', queue: 'telemetry', target: { ...pg, table: 't' } }], /\[1\]\.target\.table "t" is written by two sinks/],
    ['http:// beyond loopback', [{ name: 'a', queue: 'events', target: { ...hook, url: 'http://ops.example/in' } }], /sends the batches in clear text; use https:\/\/, or set \[0\]\.target\.allowHttp/],
    ['paused not a boolean', [{ name: 'a', queue: 'telemetry', target: pg, paused: 'yes' }], /paused must be true or false/],
  ];
  for (const [what, v, err] of bad) it(`refuses ${what}`, () => assert.throws(() => parseSinks(v), err));
});
