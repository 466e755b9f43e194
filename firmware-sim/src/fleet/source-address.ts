/**
 * Loopback source addresses for simulated gateways. A TCP client is limited by ephemeral ports per
 * (source, destination) pair (~28,000 on Linux by default), and a broker or load balancer that limits per
 * source address would see one giant client; giving each gateway its own 127.x.y.z (all of 127.0.0.0/8 is
 * loopback on Linux, no setup needed) looks like a real fleet and lifts the port ceiling.
 *
 * Index 0 → 127.0.1.1, 1 → 127.0.1.2, … 253 → 127.0.1.254, 254 → 127.0.2.1 … (never .0 or .255 in the
 * last octet, never 127.0.0.x so 127.0.0.1 stays the broker's). 16.5 million distinct addresses.
 *
 * @example sourceAddress(0) // '127.0.1.1'
 */
export function sourceAddress(index: number): string {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`gateway index must be a non-negative integer, got ${index}`);
  const perBlock = 254;
  const host = (index % perBlock) + 1;
  const block = Math.floor(index / perBlock) + 1; // skips 127.0.0.*
  const third = block % 256;
  const second = Math.floor(block / 256);
  if (second > 255) throw new RangeError(`gateway index ${index} is beyond 127.0.0.0/8`);
  return `127.${second}.${third}.${host}`;
}
