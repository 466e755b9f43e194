import { ApiFailure } from '../api.js';

/** An error as the operator reads it: the API's code and message, in a live region. */
export function ErrorNote({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  const code = error instanceof ApiFailure ? error.code : 'ERROR';
  const message = error instanceof Error ? error.message : String(error);
  return (
    <p class="error" role="alert">
      <strong>{code}</strong>: {message}
    </p>
  );
}
