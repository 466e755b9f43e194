import type { KeyObject } from 'node:crypto';
import { CausewayError, verifyManifest, type Logger, type SignedManifest } from '@causeway/shared';
import type { CommandRecord, CommandService, CommandTarget } from '../control/command-service.js';
import type { ArtifactRow, ArtifactStore } from './contract.js';

/** The command a rollout is: the gateway's `install` built-in, with the signed manifest as its args. */
export const INSTALL_COMMAND = 'install';
/** An install's args carry the manifest and its chunk hashes (4,096 for a 1 GiB artifact). */
const INSTALL_MAX_ARGS = 512 * 1024;

export interface RolloutRequest {
  name: string;
  version: string;
  /** the artifact's target ('' = the one published for any target) */
  target: string;
  to: CommandTarget;
  ttlSeconds?: number;
  rolloutPerMinute?: number;
  abortThresholdPercent?: number;
}

function installOf(rec: CommandRecord): SignedManifest | undefined {
  if (rec.name !== INSTALL_COMMAND) return undefined;
  const a = (rec.args as { artifact?: SignedManifest }).artifact;
  return typeof a === 'object' && a !== null ? a : undefined;
}

/**
 * Publishing, listing and deleting artifacts, and rolling them out (issue 17). The manifest is signed by
 * the operator's CLI; the cloud checks it against its own trusted keys and against the stored bytes, so
 * a manifest that does not describe what is stored is never sent. A rollout is a command (`install`) with
 * the command machinery's targets, TTL, rate and abort threshold.
 *
 * Supersede rule: a new rollout of an artifact name to a gateway cancels the open target of every older
 * rollout of that name to that gateway (reason "superseded by rollout <id>"); the gateway likewise drops
 * an unfinished install of that name when a newer one arrives. The latest rollout per (gateway, name)
 * wins; rollouts of other names run side by side.
 */
export class DeliveryService {
  constructor(
    private readonly d: { artifacts: ArtifactStore; commands: CommandService; trustedKeys: readonly KeyObject[]; logger: Logger; now?: () => number; /** files.keepVersions: 0 keeps all */ keepVersions?: number },
  ) {}

  async publish(s: SignedManifest): Promise<{ artifact: ArtifactRow; created: boolean }> {
    if (this.d.trustedKeys.length === 0) throw new CausewayError('ARTIFACT_UNTRUSTED', 'no release key is trusted (files.trustedKeys is empty): add the public key that causeway keys init printed');
    const m = verifyManifest(s, this.d.trustedKeys);
    await this.d.artifacts.checkBlob(m);
    const r = await this.d.artifacts.insert({ manifest: m, signature: s.signature, keyId: s.keyId }, (this.d.now ?? Date.now)());
    this.d.logger.info('artifact published', { name: m.name, version: m.version, target: m.target, kind: m.kind, sha256: m.sha256, size: m.size, keyId: s.keyId, created: r.created });
    if ((this.d.keepVersions ?? 0) > 0) await this.prune(m.name, this.d.keepVersions!);
    return { artifact: (await this.d.artifacts.get(m.name, m.version, m.target))!, created: r.created };
  }

  async list(name?: string): Promise<ArtifactRow[]> {
    return this.d.artifacts.list(name === undefined ? {} : { name });
  }

  async get(name: string, version: string, target: string): Promise<ArtifactRow> {
    const a = await this.d.artifacts.get(name, version, target);
    if (a === undefined) throw new CausewayError('ARTIFACT_NOT_FOUND', `no artifact ${name} ${version}${target === '' ? '' : ` for ${target}`}`);
    return a;
  }

  /** Running rollouts of this artifact. */
  async #users(a: ArtifactRow): Promise<string[]> {
    return (await this.d.commands.running())
      .filter((c) => {
        const m = installOf(c)?.manifest;
        return m !== undefined && m.name === a.name && m.version === a.version && m.target === a.target;
      })
      .map((c) => c.id);
  }

  async delete(name: string, version: string, target: string): Promise<void> {
    const a = await this.get(name, version, target);
    const users = await this.#users(a);
    if (users.length > 0) throw new CausewayError('ARTIFACT_IN_USE', `${name} ${version} is being rolled out (${users.join(', ')}); cancel or wait for the rollout first`);
    await this.d.artifacts.delete(name, version, target);
    this.d.logger.info('artifact deleted', { name, version, target });
  }

  /**
   * Retention: keeps the newest `keep` versions of a name per target (by publish time) and deletes the
   * older ones, except those a running rollout uses. Returns what was deleted.
   */
  async prune(name: string, keep: number): Promise<Array<{ version: string; target: string }>> {
    if (!Number.isSafeInteger(keep) || keep < 1) throw new CausewayError('ARTIFACT_INVALID', 'keep must be an integer of at least 1');
    const byTarget = new Map<string, ArtifactRow[]>();
    for (const a of await this.d.artifacts.list({ name })) byTarget.set(a.target, [...(byTarget.get(a.target) ?? []), a]);
    const deleted: Array<{ version: string; target: string }> = [];
    for (const rows of byTarget.values()) {
      for (const a of rows.slice(keep)) {
        if ((await this.#users(a)).length > 0) continue;
        await this.d.artifacts.delete(a.name, a.version, a.target);
        deleted.push({ version: a.version, target: a.target });
      }
    }
    if (deleted.length > 0) this.d.logger.info('artifacts pruned', { name, keep, deleted });
    return deleted;
  }

  async rollout(req: RolloutRequest): Promise<CommandRecord> {
    const a = await this.get(req.name, req.version, req.target);
    const rec = await this.d.commands.create({
      name: INSTALL_COMMAND,
      args: { artifact: a.signed },
      target: req.to,
      maxArgsBytes: INSTALL_MAX_ARGS,
      ...(req.ttlSeconds === undefined ? {} : { ttlSeconds: req.ttlSeconds }),
      ...(req.rolloutPerMinute === undefined ? {} : { rolloutPerMinute: req.rolloutPerMinute }),
      ...(req.abortThresholdPercent === undefined ? {} : { abortThresholdPercent: req.abortThresholdPercent }),
    });
    const gateways = new Set((await this.d.commands.targets(rec.id)).map((t) => t.gateway));
    for (const old of await this.d.commands.running()) {
      if (old.id === rec.id || installOf(old)?.manifest.name !== req.name) continue;
      const n = await this.d.commands.cancelGateways(old.id, gateways, `superseded by rollout ${rec.id}`);
      if (n > 0) this.d.logger.info('rollout superseded', { commandId: old.id, by: rec.id, targets: n });
    }
    this.d.logger.info('rollout started', { commandId: rec.id, name: req.name, version: req.version, target: req.target, to: req.to });
    return rec;
  }
}
