/**
 * Where an install job's chunks come from (issue 17): the cloud over the gateway's MQTT link
 * (chunk-client.ts, the default) or the cloud's HTTP API with range requests (http-chunk-source.ts,
 * `files.transport http`). Either way the installer hashes each chunk against the signed manifest.
 */
export interface ChunkSource {
  /**
   * Resolves with chunk `index` of content `sha256` (`expectBytes` long, starting at byte `offset`) and
   * how many times it was asked for; rejects with the cloud's refusal (CHUNK_REFUSED) or when `signal` aborts.
   */
  fetch(sha256: string, index: number, expectBytes: number, signal: AbortSignal, offset: number): Promise<{ data: Buffer; asks: number }>;
  /** numbers for the agent's snapshot and /metrics (`causeway_files`) */
  readonly counters: Readonly<Record<string, number>>;
}
