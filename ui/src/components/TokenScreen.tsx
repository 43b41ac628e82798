// Shown when the dashboard demands a token we do not have (listening beyond loopback), or
// refused the one we sent: then it says so, rather than showing the same form again.
import { useState } from 'react';
import { restart } from '../api/backend.ts';
import { setToken } from '../api/token.ts';

export function TokenScreen({ detail, rejected }: { detail: string | null; rejected: boolean }) {
  const [value, setValue] = useState('');
  return (
    <main className="token-screen">
      <section className="card" aria-labelledby="token-title">
        <h1 id="token-title">Token required</h1>
        <p>
          This statescope dashboard is reachable from the network, so it asks for the access token. Open the full URL
          statescope printed when it started (it ends in <code>?token=…</code>), or paste the token here.
        </p>
        {rejected && (
          <p className="banner error" role="alert">
            Wrong token: statescope refused it. Check it against the URL printed at start (each start makes a new one
            unless <code>--token</code> is given).
          </p>
        )}
        {detail && !rejected && <p className="muted small">{detail}</p>}
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (value.trim() === '') return;
            setToken(value);
            restart();
          }}
        >
          <label htmlFor="token-input">Access token</label>
          <input
            id="token-input"
            type="password"
            autoComplete="off"
            value={value}
            aria-invalid={rejected}
            onChange={(e) => setValue(e.target.value)}
          />
          <button type="submit">Connect</button>
        </form>
      </section>
    </main>
  );
}
