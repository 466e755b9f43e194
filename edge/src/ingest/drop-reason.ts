/**
 * Why ingest refused a frame or a sample. Each reason is counted per port (or per MQTT source) so an
 * operator can tell a noisy cable (invalid-utf8, bad-checksum) from a misconfigured device (malformed,
 * non-numeric) without reading logs.
 */
export type DropReason =
  | 'overlong'
  | 'oversized'
  | 'invalid-utf8'
  | 'bad-checksum'
  | 'non-numeric'
  | 'malformed'
  | 'unsupported'
  | 'unmapped'
  | 'sink-failed';

export interface FrameDrop {
  reason: DropReason;
  detail: string;
}
