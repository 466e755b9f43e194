import assert from 'node:assert/strict';
import { decodeChunkAnswer, decodeChunkRequest, encodeChunkAnswer, encodeChunkRequest } from '../../src/artifacts/chunk-wire.js';

const SHA = 'a'.repeat(64);

describe('shared/artifacts/chunk-wire', () => {
  it('round-trips a request and an answer with its bytes', () => {
    assert.deepEqual(decodeChunkRequest(encodeChunkRequest({ sha256: SHA, index: 3, nonce: 'n1' })), { sha256: SHA, index: 3, nonce: 'n1' });
    const data = Buffer.from([0, 1, 2, 255]);
    const a = decodeChunkAnswer(encodeChunkAnswer({ sha256: SHA, index: 3, nonce: 'n1', data }));
    assert.deepEqual({ ...a, data: [...a.data] }, { sha256: SHA, index: 3, nonce: 'n1', data: [0, 1, 2, 255] });
  });

  it('carries a refusal', () => {
    const a = decodeChunkAnswer(encodeChunkAnswer({ sha256: SHA, index: 9, nonce: 'x', error: { code: 'ARTIFACT_RANGE', message: 'past the end' }, data: Buffer.alloc(0) }));
    assert.deepEqual(a.error, { code: 'ARTIFACT_RANGE', message: 'past the end' });
  });

  const BAD_REQUESTS = ['not json', '{}', JSON.stringify({ sha256: 'xyz', index: 0, nonce: 'n' }), JSON.stringify({ sha256: SHA, index: -1, nonce: 'n' }), JSON.stringify({ sha256: SHA, index: 0 })];
  for (const b of BAD_REQUESTS) {
    it(`refuses the request ${b}`, () => assert.throws(() => decodeChunkRequest(Buffer.from(b)), { code: 'CHUNK_BAD_REQUEST' }));
  }

  it('refuses an answer shorter than its header', () => {
    assert.throws(() => decodeChunkAnswer(Buffer.from([0])), { code: 'CHUNK_BAD_ANSWER' });
    assert.throws(() => decodeChunkAnswer(Buffer.from([0, 50, 123])), { code: 'CHUNK_BAD_ANSWER' });
  });
});
