import mqtt from 'mqtt-packet';
import bl from 'bl';

const { BufferList } = bl;

/** What the connection uses of mqtt-packet's parser. */
export type PacketParser = ReturnType<typeof mqtt.parser>;

interface ParserInternals {
  _list: unknown;
  _resetState(): void;
  _states?: string[];
}

/** mqtt-packet's state names, an array it makes per parser and only reads: one for all. */
const STATES = Object.freeze(['_parseHeader', '_parseLength', '_parsePayload', '_newPacket']);

const hasInternals = (p: unknown): p is ParserInternals =>
  typeof (p as ParserInternals)._resetState === 'function' && typeof (p as { _list?: { append?: unknown } })._list?.append === 'function';

let stockReset: (() => void) | undefined;

function lightReset(this: ParserInternals): void {
  stockReset!.call(this);
  this._list = new BufferList();
}

/**
 * mqtt-packet's parser, holding its unparsed bytes in a plain BufferList. mqtt-packet keeps them in
 * `bl()`, a whole Duplex stream of which it only uses the BufferList methods (append, consume, slice,
 * readUInt8…): ~0.9 KB of heap per connection for nothing, on every idle connection a broker holds
 * (issue 15; `node --expose-gc` measurement in docs/benchmarks.md). `lightened` says whether the swap
 * took (false if an upgrade of mqtt-packet changed its internals: the parser then works as shipped).
 */
export function createPacketParser(): { parser: PacketParser; lightened: boolean } {
  const parser = mqtt.parser();
  if (!hasInternals(parser)) return { parser, lightened: false };
  stockReset ??= parser._resetState;
  parser._resetState = lightReset; // one function for all parsers: no closure per connection
  parser._list = new BufferList();
  if (parser._states?.join() === STATES.join()) parser._states = STATES as string[];
  return { parser, lightened: true };
}

interface ParserState {
  _stateCounter?: unknown;
  _list?: { length?: unknown };
  error?: unknown;
}

/**
 * True when the parser holds nothing between two packets: no bytes of a next packet, no half-read header,
 * no error. Such a parser can serve another connection (connection.ts pools them, so an idle connection
 * holds none: ~0.9 KB of heap each, issue 15). False whenever mqtt-packet's internals are not as expected.
 */
export function isIdleParser(parser: PacketParser): boolean {
  const p = parser as unknown as ParserState;
  return p._stateCounter === 0 && p._list?.length === 0 && (p.error === null || p.error === undefined);
}

/**
 * mqtt-packet keeps the whole CONNECT packet (client id, credentials, will, properties) as the parser's
 * `settings` for the connection's life, and reads only its protocol version and bridge flag from it:
 * after CONNECT the connection keeps just those (issue 15: less per idle connection, and no password
 * Buffer left in the heap).
 */
export function forgetConnect(parser: PacketParser): void {
  const p = parser as unknown as { settings?: { protocolVersion?: number | undefined; bridgeMode?: boolean } };
  const s = p.settings;
  if (s === undefined) return;
  p.settings = parserSettings(s.protocolVersion, s.bridgeMode === true);
}

const SETTINGS = new Map<string, Readonly<{ protocolVersion: number | undefined; bridgeMode?: true }>>();

/** One frozen settings object per (version, bridge) for every connection: mqtt-packet only reads it. */
function parserSettings(protocolVersion: number | undefined, bridge: boolean): object {
  if (protocolVersion !== 3 && protocolVersion !== 4 && protocolVersion !== 5) return bridge ? { protocolVersion, bridgeMode: true } : { protocolVersion };
  const key = `${protocolVersion}:${bridge}`;
  let s = SETTINGS.get(key);
  if (s === undefined) {
    s = Object.freeze(bridge ? { protocolVersion, bridgeMode: true as const } : { protocolVersion });
    SETTINGS.set(key, s);
  }
  return s;
}
