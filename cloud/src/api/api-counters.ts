/**
 * What the HTTP API refused or failed, for /v1/stats and the `causeway_api_events` metric (issue 23
 * items 1 and 16: bad input is answered and counted, never fatal).
 */
export interface ApiCounters {
  requests: number;
  /** 4xx answers (bad URL, body, parameters; unknown route) other than the ones below */
  badRequests: number;
  /** no or wrong bearer token */
  unauthorized: number;
  /** an app token on a route or queue/topic it was not granted */
  forbidden: number;
  /** unparseable request line or headers, header or request timeouts (the server's clientError) */
  clientErrors: number;
  /** unexpected exceptions answered 500 */
  internalErrors: number;
  /** answered 503 with Retry-After: the message store failed or is closing (STORE_IO, STORE_CLOSED), a queue's owner node is unreachable */
  unavailable: number;
  /** event streams refused because api.maxStreams were open */
  streamsRefused: number;
  /** event streams open now */
  streamsOpen: number;
  /** registrations by claim whose CSR was refused (malformed, bad signature, another gateway's subject, weak key; issue 20) */
  csrRefused: number;
  /** certificates revoked by an operator (POST /v1/devices/{id}/revoke-cert; issue 20) */
  certsRevoked: number;
}

export function newApiCounters(): ApiCounters {
  return { requests: 0, badRequests: 0, unauthorized: 0, forbidden: 0, clientErrors: 0, internalErrors: 0, unavailable: 0, streamsRefused: 0, streamsOpen: 0, csrRefused: 0, certsRevoked: 0 };
}
