/**
 * What this node served of its artifacts since it started (issue 17), by transport and by content:
 * `/metrics` (`causeway_artifacts`), `GET /v1/stats` and the `served` figure of `GET /v1/artifacts`.
 * Artifacts with the same content share their figure (the content is stored, and served, once).
 */
export type ArtifactTransport = 'mqtt' | 'http';

export interface TransportCounters {
  /** chunk requests (MQTT) or GET/HEAD requests (HTTP) from gateways */
  requests: number;
  /** bytes of content sent */
  servedBytes: number;
  /** requests refused: not rolled out to the asking gateway, unknown content, bad range */
  refused: number;
}

export class ServedCounters {
  readonly byTransport: Record<ArtifactTransport, TransportCounters> = {
    mqtt: { requests: 0, servedBytes: 0, refused: 0 },
    http: { requests: 0, servedBytes: 0, refused: 0 },
  };
  readonly #bySha = new Map<string, { requests: number; bytes: number }>();

  request(t: ArtifactTransport, sha256: string): void {
    this.byTransport[t].requests++;
    const s = this.#bySha.get(sha256) ?? { requests: 0, bytes: 0 };
    s.requests++;
    this.#bySha.set(sha256, s);
  }

  served(t: ArtifactTransport, sha256: string, bytes: number): void {
    this.byTransport[t].servedBytes += bytes;
    const s = this.#bySha.get(sha256);
    if (s !== undefined) s.bytes += bytes;
  }

  refused(t: ArtifactTransport): void {
    this.byTransport[t].refused++;
  }

  of(sha256: string): { requests: number; bytes: number } {
    return { ...(this.#bySha.get(sha256) ?? { requests: 0, bytes: 0 }) };
  }
}
