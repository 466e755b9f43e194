import type { Duplex } from 'node:stream';

/** A running listener: where it is bound and how to stop accepting. */
export interface Listener {
  readonly kind: 'tcp' | 'tls' | 'ws';
  readonly host: string;
  readonly port: number;
  /** Stops accepting; resolves when the server has closed (existing clients are closed by the broker). */
  close(): Promise<void>;
}

/** What a listener hands each accepted connection to (`broker.handle`). */
export type StreamHandler = (stream: Duplex, meta?: StreamMeta) => void;

/** What a listener knows of the peer. */
export interface StreamMeta {
  remoteAddress?: string;
  /** CN of a verified TLS client certificate */
  certificateId?: string;
  /** SHA-256 of that certificate (DER), lowercase hex: a registry entry may pin the one certificate it accepts */
  certificateSha256?: string;
}
