import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { closeSync, createReadStream, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { CausewayError, ChunkHasher, DEFAULT_CHUNK_SIZE, keyIdOf, publicKeyLine, signManifest, validateManifest, type ArtifactManifest } from '@causeway/shared';
import type { CliCommand, CliContext } from '../cli-context.js';
import { OUTPUT_FLAGS, outputFormat, parseCommand, str, unknownAction, type CommandSpec } from '../command-spec.js';
import { table } from '../table.js';

const KEY_FLAG = { type: 'string', value: 'FILE', help: 'the Ed25519 release key (default $CAUSEWAY_RELEASE_KEY, else ./release-key.pem)' } as const;

const KEYS: CommandSpec = {
  name: 'keys',
  summary: 'the Ed25519 release key that signs files and agent releases',
  usage: ['causeway keys init [--key FILE]   (writes FILE mode 0600 and FILE.pub; prints the public key for configs)', 'causeway keys show [--key FILE]'],
  flags: { key: KEY_FLAG },
  examples: ['causeway keys init --key ~/.causeway/release-key.pem', 'causeway keys show'],
  actions: ['init', 'show'],
};

const keyFile = (values: Record<string, unknown>): string => str(values.key) ?? process.env.CAUSEWAY_RELEASE_KEY ?? 'release-key.pem';

function describeKey(ctx: CliContext, pub: ReturnType<typeof createPublicKey>): void {
  ctx.out(`key id: ${keyIdOf(pub)}\npublic key (add it to files.trustedKeys of the cloud and of every gateway):\n${publicKeyLine(pub)}\n`);
}

export const keysCommand: CliCommand = {
  spec: KEYS,
  async run(ctx, argv) {
    const { values, positionals } = parseCommand(KEYS, argv);
    const file = keyFile(values);
    const action = positionals[0] ?? 'show';
    if (action === 'init') {
      if (existsSync(file)) throw new CausewayError('USAGE', `${file} exists; a release key is never overwritten (move it away first)`);
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      // 'wx' with mode 0600: created owner-only, never over an existing file, whatever the umask.
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
      closeSync(fd);
      const pfd = openSync(`${file}.pub`, 'w', 0o644);
      writeSync(pfd, publicKey.export({ type: 'spki', format: 'pem' }) as string);
      closeSync(pfd);
      ctx.out(`wrote ${file} (private, mode 0600: keep it off the gateways and the cloud) and ${file}.pub\n`);
      describeKey(ctx, publicKey);
      return 0;
    }
    if (action === 'show') {
      describeKey(ctx, createPublicKey(readFileSync(file, 'utf8')));
      return 0;
    }
    throw unknownAction(KEYS, action);
  },
};

async function hashFile(file: string, chunkSize: number): Promise<{ size: number; sha256: string; chunks: string[] }> {
  const h = new ChunkHasher(chunkSize);
  try {
    for await (const c of createReadStream(file)) h.update(c as Buffer);
  } catch (err) {
    throw new CausewayError('USAGE', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  return h.finish();
}

function spec(kind: 'file' | 'release'): CommandSpec {
  const noun = kind === 'file' ? 'file' : 'release';
  return {
    name: noun,
    summary: kind === 'file' ? 'signed files for gateways (maps, DBC files, device firmware): publish, list, delete' : 'signed releases of the agent itself: publish, list, delete',
    usage: [
      `causeway ${noun} publish FILE --name NAME --version V [--target T]${kind === 'file' ? ' [--path P]' : ''} [--key FILE]`,
      `causeway ${noun} list [--name NAME] [-o table|json]`,
      `causeway ${noun} delete NAME VERSION [--target T]   (refused while a rollout uses it)`,
      `causeway ${noun} prune NAME --keep N   (keeps the newest N versions per target; in-use ones stay)`,
    ],
    flags: {
      name: { type: 'string', value: 'NAME', help: 'artifact name' },
      version: { type: 'string', value: 'V', help: 'artifact version' },
      target: { type: 'string', value: 'T', help: 'platform it is for, e.g. linux-arm64 (default: any)' },
      ...(kind === 'file' ? { path: { type: 'string', value: 'P', help: 'where it lands under the gateway\'s files.root (default: NAME)' } } : {}),
      'chunk-size': { type: 'string', value: 'BYTES', help: `chunk size (default ${DEFAULT_CHUNK_SIZE})` },
      keep: { type: 'string', value: 'N', help: 'prune: versions to keep per target' },
      key: KEY_FLAG,
      ...OUTPUT_FLAGS,
    },
    examples:
      kind === 'file'
        ? ['causeway file publish maps.tar --name maps-north --version 2026-12', 'causeway file delete maps-north 2026-11']
        : ['causeway release publish causeway-edge-arm64 --name causeway-edge --version 0.3.0 --target linux-arm64', 'causeway release list'],
    actions: ['publish', 'list', 'delete', 'prune'],
  };
}

function artifactCommand(kind: 'file' | 'release'): CliCommand {
  const S = spec(kind);
  return {
    spec: S,
    async run(ctx, argv) {
      const { values, positionals } = parseCommand(S, argv);
      const [action = 'list', a1, a2] = positionals;
      const target = str(values.target) ?? '';
      switch (action) {
        case 'publish': {
          const file = a1;
          const name = str(values.name);
          const version = str(values.version);
          if (file === undefined || name === undefined || version === undefined) throw new CausewayError('USAGE', `causeway ${S.name} publish needs FILE, --name and --version (see causeway ${S.name} --help)`);
          const chunkSize = values['chunk-size'] === undefined ? DEFAULT_CHUNK_SIZE : Number(str(values['chunk-size']));
          const key = keyFile(values);
          let pem: string;
          try {
            pem = readFileSync(key, 'utf8');
          } catch (err) {
            throw new CausewayError('USAGE', `cannot read the release key ${key}: ${(err as Error).message} (causeway keys init writes one)`, { cause: err });
          }
          const h = await hashFile(file, chunkSize);
          const manifest: ArtifactManifest = validateManifest({ v: 1, kind, name, version, target, path: kind === 'file' ? (str(values.path) ?? name) : '', size: h.size, sha256: h.sha256, chunkSize, chunks: h.chunks });
          const signed = signManifest(manifest, pem);
          const have = await ctx.api.call('GET', `/v1/blobs/${h.sha256}`).catch(() => undefined);
          if (have === undefined) await ctx.api.upload(`/v1/blobs/${h.sha256}`, file, ctx.signal);
          const r = await ctx.api.call('POST', '/v1/artifacts', signed);
          if (outputFormat(values) === 'json') ctx.out(JSON.stringify(r) + '\n');
          else ctx.out(`${r.created ? 'published' : 'already published'} ${name} ${version}${target === '' ? '' : ` (${target})`}: ${h.size} bytes, sha256 ${h.sha256}, ${h.chunks.length} chunk(s)${have === undefined ? '' : ', content already stored'}, signed by key ${signed.keyId}\n`);
          return 0;
        }
        case 'list': {
          const q = str(values.name) === undefined ? '' : `?name=${encodeURIComponent(str(values.name)!)}`;
          const r = await ctx.api.call('GET', `/v1/artifacts${q}`);
          const rows = (r.artifacts as any[]).filter((x) => x.kind === kind);
          if (outputFormat(values) === 'json') ctx.out(JSON.stringify(rows, null, 2) + '\n');
          else ctx.out(table(['NAME', 'VERSION', 'TARGET', 'SIZE', 'SHA256', 'KEY'], rows.map((x) => [x.name, x.version, x.target || '*', x.size, x.sha256.slice(0, 12), x.keyId])));
          return 0;
        }
        case 'delete': {
          if (a1 === undefined || a2 === undefined) throw new CausewayError('USAGE', `causeway ${S.name} delete needs NAME VERSION`);
          await ctx.api.call('DELETE', `/v1/artifacts/${encodeURIComponent(a1)}/${encodeURIComponent(a2)}${target === '' ? '' : `?target=${encodeURIComponent(target)}`}`);
          ctx.out(`deleted ${a1} ${a2}\n`);
          return 0;
        }
        case 'prune': {
          const keep = Number(str(values.keep));
          if (a1 === undefined || !Number.isSafeInteger(keep) || keep < 1) throw new CausewayError('USAGE', `causeway ${S.name} prune needs NAME and --keep N (N ≥ 1)`);
          const r = await ctx.api.call('POST', `/v1/artifacts/${encodeURIComponent(a1)}/prune`, { keep });
          ctx.out(r.deleted.length === 0 ? 'nothing to prune\n' : `deleted ${r.deleted.map((d: any) => `${a1} ${d.version}${d.target === '' ? '' : ` (${d.target})`}`).join(', ')}\n`);
          return 0;
        }
        default:
          throw unknownAction(S, action);
      }
    },
  };
}

export const fileCommand = artifactCommand('file');
export const releaseCommand = artifactCommand('release');

const ROLLOUT: CommandSpec = {
  name: 'rollout',
  summary: 'deliver a published file or release to a gateway, a group or all (a command: TTL, rate, abort threshold)',
  usage: ['causeway rollout NAME VERSION (--gateway G | --group G | --all) [--target T] [--ttl S] [--rate N] [--abort-at P]', 'then: causeway commands ID   (per-gateway DOWNLOADING, VERIFYING, INSTALLING, SUCCEEDED, …)'],
  flags: {
    gateway: { type: 'string', value: 'G', help: 'one gateway' },
    group: { type: 'string', value: 'G', help: 'every gateway of a group' },
    all: { type: 'boolean', help: 'every gateway' },
    target: { type: 'string', value: 'T', help: 'the artifact published for this target (default: the one for any)' },
    ttl: { type: 'string', value: 'S', help: 'seconds every target has to finish (default 3600); past it, TIMED_OUT or EXPIRED' },
    rate: { type: 'string', value: 'N', help: 'gateways per minute (default: all at once)' },
    'abort-at': { type: 'string', value: 'P', help: 'stop sending when more than P % of finished targets failed' },
    json: { type: 'boolean', help: 'print the created command as JSON' },
  },
  examples: ['causeway rollout maps-north 2026-12 --group north --rate 20 --abort-at 10', 'causeway rollout causeway-edge 0.3.0 --target linux-arm64 --gateway gw-7'],
};

export const rolloutCommand: CliCommand = {
  spec: ROLLOUT,
  async run(ctx, argv) {
    const { values, positionals } = parseCommand(ROLLOUT, argv);
    const [name, version] = positionals;
    if (name === undefined || version === undefined) throw new CausewayError('USAGE', 'causeway rollout needs NAME VERSION (see causeway rollout --help)');
    const body: Record<string, unknown> = { name, version, target: str(values.target) ?? '' };
    if (values.gateway !== undefined) body.gateway = str(values.gateway);
    if (values.group !== undefined) body.group = str(values.group);
    if (values.all === true) body.all = true;
    const num = (flag: string): number | undefined => {
      const v = str(values[flag]);
      if (v === undefined) return undefined;
      const n = Number(v);
      if (v === '' || !Number.isFinite(n)) throw new CausewayError('USAGE', `--${flag} must be a number, got "${v}"`);
      return n;
    };
    if (values.ttl !== undefined) body.ttlSeconds = num('ttl');
    if (values.rate !== undefined) body.rolloutPerMinute = num('rate');
    if (values['abort-at'] !== undefined) body.abortThresholdPercent = num('abort-at');
    const r = await ctx.api.call('POST', '/v1/rollouts', body);
    ctx.out(values.json ? JSON.stringify(r) + '\n' : `rollout ${r.command.id} of ${name} ${version} started; follow it with: causeway commands ${r.command.id}\n`);
    return 0;
  },
};
