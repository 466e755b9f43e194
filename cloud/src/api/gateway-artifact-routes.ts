import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { CausewayError } from '@causeway/shared';
import type { ArtifactStore } from '../files/contract.js';
import type { FetchGrants } from '../files/fetch-grants.js';
import type { ServedCounters } from '../files/served-counters.js';
import { parseByteRange } from './byte-range.js';
import { ApiError } from './http-status.js';
import type { RequestContext, Router } from './router.js';

const HEX64 = /^[0-9a-f]{64}$/;

export interface GatewayFiles {
  artifacts: ArtifactStore;
  grants: FetchGrants;
  served: ServedCounters;
}

/**
 * `GET` and `HEAD /v1/gateway/artifacts/{sha256}` (issue 17; docs/api.md): the content of an artifact
 * rolled out to the calling gateway, with single byte ranges so an interrupted download resumes where
 * its verified bytes end. The router is the gateways' own: the API server authenticates it with HTTP
 * Basic (the gateway's id and secret, as for MQTT) and puts the id in `ctx.gateway`. The answer is the
 * raw bytes; the gateway checks them against the signed manifest it got with the rollout, as over MQTT.
 */
export function gatewayArtifactRoutes(router: Router, f: GatewayFiles): void {
  const serve = async (ctx: RequestContext): Promise<undefined> => {
    const sha = ctx.params.sha!;
    const gateway = ctx.gateway!;
    if (!HEX64.test(sha)) throw new ApiError('API_BAD_REQUEST', 'an artifact is named by the 64 lowercase hex digits of its sha256');
    f.served.request('http', sha);
    try {
      if (!(await f.grants.allowed(gateway, sha))) throw new CausewayError('ARTIFACT_NOT_ROLLED_OUT', `no running rollout of ${sha} targets gateway ${gateway}`);
      const size = (await f.artifacts.chunkSizeOf(sha)) === undefined ? undefined : await f.artifacts.hasBlob(sha);
      if (size === undefined) throw new CausewayError('ARTIFACT_NOT_FOUND', `no published artifact has content ${sha}`);
      const range = parseByteRange(ctx.req.headers.range, size);
      const common = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes', etag: `"${sha}"`, 'cache-control': 'private, no-store' };
      if (range === 'unsatisfiable') {
        ctx.res.setHeader('content-range', `bytes */${size}`);
        throw new CausewayError('ARTIFACT_RANGE', `range ${ctx.req.headers.range ?? ''} is outside the ${size} bytes of ${sha}`);
      }
      const start = range?.start ?? 0;
      const end = range?.end ?? size - 1;
      const length = size === 0 ? 0 : end - start + 1;
      // Opened before the head is written: a backend that must fetch the content first (JetStream, into
      // its node-local cache) can still fail with a status rather than a cut body.
      const body = ctx.req.method === 'HEAD' || length === 0 ? undefined : await f.artifacts.blobStream(sha, start, end);
      ctx.res.writeHead(range === undefined ? 200 : 206, { ...common, 'content-length': length, ...(range === undefined ? {} : { 'content-range': `bytes ${start}-${end}/${size}` }) });
      if (body === undefined) {
        ctx.res.end();
        return undefined;
      }
      const count = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          f.served.served('http', sha, chunk.length);
          cb(null, chunk);
        },
      });
      // A gateway that goes away mid-body ends the pipeline; what it got is counted, and it asks again with a Range.
      await pipeline(body, count, ctx.res).catch(() => undefined);
      return undefined;
    } catch (err) {
      f.served.refused('http');
      throw err;
    }
  };
  router.add('GET', '/v1/gateway/artifacts/:sha', serve, { raw: true });
  router.add('HEAD', '/v1/gateway/artifacts/:sha', serve, { raw: true });
}
