import assert from 'node:assert/strict';
import { normalizeJetStreamOptions } from '../../src/store/jetstream/jetstream-options.js';
import { openJetStreamStore } from '../../src/store/jetstream/jetstream-store.js';
import { StoreError } from '@causeway/broker';
import { natsForSuite } from './jetstream-server.js';
import { makeMessage } from '../../../broker/test/store/store-contract.js';

describe('jetstream store options', () => {
  it('fills every default and splits a comma-separated server list', () => {
    const o = normalizeJetStreamOptions({ servers: 'nats://127.0.0.1:4222, nats://127.0.0.1:4223' });
    assert.deepEqual(o.servers, ['nats://127.0.0.1:4222', 'nats://127.0.0.1:4223']);
    assert.equal(o.names.stream, 'causeway_log');
    assert.equal(o.names.msgRoot, 'causeway.msg');
    assert.deepEqual([o.replicas, o.maxAgeMs, o.maxBytes, o.timeoutMs, o.appendRetryMs], [1, 0, 0, 5000, 30_000]);
    assert.equal(o.connection.user, undefined);
  });

  it('passes credentials and TLS files to the client', () => {
    const o = normalizeJetStreamOptions({ servers: ['nats://127.0.0.1:1'], user: 'u', pass: 'p', tls: { caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem' } });
    assert.deepEqual([o.connection.user, o.connection.pass], ['u', 'p']);
    assert.deepEqual(o.connection.tls, { caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem' });
  });

  const bad: { name: string; opts: Parameters<typeof normalizeJetStreamOptions>[0]; key: string }[] = [
    { name: 'no servers', opts: { servers: [] }, key: 'servers' },
    { name: 'blank servers', opts: { servers: ' , ' }, key: 'servers' },
    { name: 'a prefix with a dot', opts: { servers: 'x', prefix: 'a.b' }, key: 'prefix' },
    { name: 'replicas 0', opts: { servers: 'x', replicas: 0 }, key: 'replicas' },
    { name: 'replicas 2.5', opts: { servers: 'x', replicas: 2.5 }, key: 'replicas' },
    { name: 'negative maxAgeMs', opts: { servers: 'x', maxAgeMs: -1 }, key: 'maxAgeMs' },
    { name: 'negative appendRetryMs', opts: { servers: 'x', appendRetryMs: -1 }, key: 'appendRetryMs' },
  ];
  for (const c of bad) {
    it(`refuses ${c.name} with STORE_INVALID naming the key`, () => {
      assert.throws(
        () => normalizeJetStreamOptions(c.opts),
        (err: unknown) => err instanceof StoreError && err.code === 'STORE_INVALID' && err.message.includes(`store.jetstream.${c.key}`),
      );
    });
  }
});

describe('jetstream store with user/password auth @e2e', function () {
  this.timeout(30_000);
  const nats = natsForSuite(1, ['--user', 'causeway', '--pass', 's3cret-pass']);

  it('creates the stream with the configured limits and replicas', async () => {
    const store = await openJetStreamStore({ servers: nats.urls, prefix: 'limits', user: 'causeway', pass: 's3cret-pass', maxAgeMs: 3_600_000, maxBytes: 10_000_000, replicas: 1 });
    try {
      const { config } = await store.jsm.streams.info(store.options.names.stream);
      assert.deepEqual(
        { subjects: config.subjects, max_age: config.max_age, max_bytes: config.max_bytes, num_replicas: config.num_replicas, allow_direct: config.allow_direct },
        { subjects: ['limits.msg.>'], max_age: 3_600_000 * 1_000_000, max_bytes: 10_000_000, num_replicas: 1, allow_direct: true },
      );
    } finally {
      await store.close();
    }
  });

  it('connects with the right password and refuses a wrong one with STORE_IO, never echoing it', async () => {
    const store = await openJetStreamStore({ servers: nats.urls, prefix: 'auth', user: 'causeway', pass: 's3cret-pass' });
    try {
      const r = await store.log.append(makeMessage('a/b', 'x'), ['q:a']);
      assert.equal(r.duplicate, false);
    } finally {
      await store.close();
    }
    await assert.rejects(
      openJetStreamStore({ servers: nats.urls, prefix: 'auth', user: 'causeway', pass: 'wrong-pass-123' }),
      (err: unknown) => {
        assert.ok(err instanceof StoreError && err.code === 'STORE_IO', String(err));
        assert.ok(!err.message.includes('wrong-pass-123') && !err.message.includes('s3cret-pass'), err.message);
        return true;
      },
    );
  });
});
