/**
 * What a remote (cloud-pushed) config may change on a gateway. The keys below stay local to the
 * gateway's own config file: they name the gateway, decide where its data and secrets go, or open it to
 * the network. A remote document that could set them could move the gateway to another broker and
 * have it send its password there (issue 23 item 3). The cloud refuses such a document at
 * `PUT /v1/config/...`; the gateway refuses it again (REJECTED naming the key) in case one gets past.
 * docs/operations.md "What a remote config may change" gives the reasons.
 */
export const LOCAL_ONLY_KEYS: readonly string[] = [
  // who the gateway is and where its data lives
  'gateway.id',
  'store.path',
  // the cloud connection and its credentials: where the data and the password go, and whom it trusts
  'cloud.url',
  'cloud.username',
  'cloud.password',
  'cloud.ca',
  'cloud.cert',
  'cloud.key',
  // the local sensor broker and its credentials, and who on the LAN may reach the hosted listener
  'ingest.mqtt.url',
  'ingest.mqtt.username',
  'ingest.mqtt.password',
  'ingest.mqtt.listen.host',
  // field buses (issue 19): which devices and hosts are opened, and which registers a command may write.
  // A bus entry is an array element and arrays are leaves here, so the whole list is local: a finer rule
  // (points only) would need per-element matching this mechanism does not have. A document that repeats
  // the local list unchanged still passes. CAN sources open adapters and OBD-II polls transmit on a
  // vehicle's bus. A DBC only changes how received frames are read: `ingest.canDbc` (DBC texts by
  // source name) is not local, so an operator can push one; or file delivery to the path the local file
  // names (the agent watches it).
  'ingest.modbus',
  'ingest.can',
  // local interfaces: who can read status and metrics, and the test-only stdin input
  'status.socket',
  'health.host',
  'health.port',
  'input.stdin',
  'input.stdinAck',
  // first-boot registration: the claim token and where the gateway's own secret is kept
  'identity',
  // what this gateway trusts and where installs may write (issue 17): a remote document that could add
  // a key or move the roots could install anything anywhere
  'files.root',
  'files.trustedKeys',
  'files.target',
  'update.root',
  'update.healthGateSeconds',
];

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every leaf of a document as [dotted path, value]; arrays are leaves, an empty object (it changes nothing when merged) is none. */
function leaves(doc: Record<string, unknown>, prefix = ''): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const [k, v] of Object.entries(doc)) {
    const path = prefix === '' ? k : `${prefix}.${k}`;
    if (isPlain(v)) out.push(...leaves(v, path));
    else out.push([path, v]);
  }
  return out;
}

function get(o: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (isPlain(v) && Object.hasOwn(v, k) ? v[k] : undefined), o);
}

/**
 * The first local-only key a remote document sets, or undefined. A leaf counts when its path is a
 * local-only key, lies below one, or is a parent that a scalar would replace (`{"cloud": null}`);
 * dotted names (`{"cloud.url": …}`) count like nested ones. Given the gateway's `local` config, a value
 * equal to the local one is allowed (it changes nothing). Pure.
 *
 * @example
 * localOnlyKeyIn({ cloud: { url: 'mqtt://attacker:1883' } }) // 'cloud.url'
 */
export function localOnlyKeyIn(doc: Record<string, unknown>, local?: Record<string, unknown>): string | undefined {
  for (const [path, value] of leaves(doc)) {
    const hit = LOCAL_ONLY_KEYS.find((k) => path === k || path.startsWith(`${k}.`) || k.startsWith(`${path}.`));
    if (hit === undefined) continue;
    if (local !== undefined && path === hit && JSON.stringify(value) === JSON.stringify(get(local, path))) continue;
    return hit;
  }
  return undefined;
}
