import { ConfigError, validateConfigObject, findUnsafeKey, mergeConfig, localOnlyKeyIn } from '@causeway/shared';
import { validateIngestConfig } from '../ingest/ingest-schema.js';
import { mergedEdgeSchema, type EdgeConfig } from '../config/schema.js';
import { checkHttpFilesCredential } from '../config/http-files-credential.js';

/**
 * The config the agent should run: the remote document merged over the local one, validated against the
 * agent's schema (and the ingest rules' own checks). Throws a ConfigError naming the key. Pure.
 */
export function mergeRemoteConfig(local: EdgeConfig, remote: Record<string, unknown>): EdgeConfig {
  // The cloud refuses both at PUT /v1/config; checked again here as defence in depth (issue 23 items 2, 3).
  const unsafe = findUnsafeKey(remote);
  if (unsafe !== undefined) throw new ConfigError(`${unsafe} is a forbidden key (__proto__, constructor and prototype are refused)`, { key: unsafe });
  const key = localOnlyKeyIn(remote, local as unknown as Record<string, unknown>);
  if (key !== undefined) throw new ConfigError(`${key} cannot be changed remotely (it is local to the gateway)`, { key });
  const merged = mergeConfig([structuredClone(local) as unknown as Record<string, unknown>, remote]);
  const cfg = validateConfigObject<EdgeConfig>(mergedEdgeSchema, merged);
  validateIngestConfig(cfg.ingest);
  // files.transport may be set remotely; a gateway with only a certificate cannot use http (issue 20).
  checkHttpFilesCredential(cfg);
  return structuredClone(cfg) as EdgeConfig;
}

/** Which parts of the running agent a config change touches. Pure. */
export function changedParts(a: EdgeConfig, b: EdgeConfig): { ingestRules: boolean; canDbc: boolean; ingestSources: boolean; uplink: boolean; commands: boolean } {
  const same = (x: unknown, y: unknown): boolean => JSON.stringify(x) === JSON.stringify(y);
  // rules and DBC texts change live; anything else in ingest restarts the sources
  const { rules: ra, canDbc: da, ...sa } = a.ingest;
  const { rules: rb, canDbc: db, ...sb } = b.ingest;
  return {
    ingestRules: !same(ra, rb),
    canDbc: !same(da ?? {}, db ?? {}),
    ingestSources: !same(sa, sb),
    uplink: !same(a.cloud, b.cloud) || !same(a.uplink, b.uplink) || !same(a.buffer, b.buffer) || !same(a.gateway.groups, b.gateway.groups),
    commands: !same(a.commands, b.commands),
  };
}
