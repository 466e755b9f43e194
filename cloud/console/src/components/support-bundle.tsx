import { useState } from 'preact/hooks';
import { api, seg } from '../api.js';
import { ErrorNote } from './error-note.js';

/**
 * A gateway's support bundle (issue 20): ask it for a new one (the `support-bundle` command, queued while
 * it is offline), and download the latest it sent (`GET /v1/gateways/{id}/bundle`) as a file. The file is
 * fetched with the bearer header and handed to the browser as a blob: the token never goes into a link.
 */
export function SupportBundle({ id }: { id: string }) {
  const [error, setError] = useState<unknown>(undefined);
  const [asked, setAsked] = useState<string | undefined>(undefined);
  const ask = (): void => {
    setError(undefined);
    api<{ command: { id: string } }>('POST', '/v1/commands', { name: 'support-bundle', device: id, args: { lines: 200 }, ttlSeconds: 3600 }).then(
      (r) => setAsked(r.command.id),
      setError,
    );
  };
  const download = (): void => {
    setError(undefined);
    api<Record<string, unknown>>('GET', `/v1/gateways/${seg(id)}/bundle`).then((doc) => {
      const url = URL.createObjectURL(new Blob([JSON.stringify(doc, null, 2) + '\n'], { type: 'application/json' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `${id.replace(/[^A-Za-z0-9_.-]/g, '_')}-bundle.json`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    }, setError);
  };
  return (
    <div data-testid="gw-bundle">
      <h2>Support bundle</h2>
      <p>Config with secrets masked, versions, status and the last log lines, from the gateway itself.</p>
      <div class="row">
        <button type="button" onClick={ask}>
          Ask for a new bundle
        </button>
        <button type="button" onClick={download}>
          Download the latest bundle
        </button>
      </div>
      {asked === undefined ? null : (
        <p role="status">
          asked: <a href={`#/commands/${seg(asked)}`}>command {asked}</a> (an offline gateway answers when it returns, within an hour)
        </p>
      )}
      <ErrorNote error={error} />
    </div>
  );
}
