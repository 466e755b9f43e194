import { useState } from 'preact/hooks';
import { api, signIn, signOut } from '../api.js';
import { ErrorNote } from '../components/error-note.js';

/** Sign-in with the operator token: checked with one API call, then kept for this tab only. */
export function SignInPage({ onSignedIn }: { onSignedIn: () => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  return (
    <main class="sign-in">
      <form
        class="card"
        aria-labelledby="signin-h"
        onSubmit={(e) => {
          e.preventDefault();
          setError(undefined);
          signIn(token);
          api('GET', '/v1/stats').then(onSignedIn, (err) => {
            signOut();
            setError(err);
          });
        }}
      >
        <h1 id="signin-h">Causeway console</h1>
        <p>Sign in with the operator token (config api.operatorToken, or the operator-token file in the store directory). It is kept in this tab only.</p>
        <label>
          Operator token
          <input type="password" autocomplete="off" required value={token} onInput={(e) => setToken(e.currentTarget.value)} />
        </label>
        <ErrorNote error={error} />
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}
