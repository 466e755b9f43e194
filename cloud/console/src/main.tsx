import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { hasToken, onUnauthorized, signOut } from './api.js';
import { AccessPage } from './pages/access.js';
import { CommandsPage } from './pages/commands.js';
import { ConfigPage } from './pages/config.js';
import { DevicesPage } from './pages/devices.js';
import { FleetPage } from './pages/fleet.js';
import { GatewayPage } from './pages/gateway.js';
import { QueuesPage } from './pages/queues.js';
import { SignInPage } from './pages/sign-in.js';
import { SinksPage } from './pages/sinks.js';
import { UpdatesPage } from './pages/updates.js';

/** Hash routes (`#/fleet`, `#/gateway/{id}`, `#/commands/{id}`): the server serves one page, ids stay client-side. */
function useRoute(): string[] {
  const parse = (): string[] => {
    const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
    try {
      return parts.map(decodeURIComponent);
    } catch {
      return [];
    }
  };
  const [route, setRoute] = useState(parse);
  useEffect(() => {
    const on = (): void => setRoute(parse());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

const NAV: Array<[string, string]> = [
  ['fleet', 'Fleet'],
  ['commands', 'Commands'],
  ['config', 'Config'],
  ['queues', 'Queues'],
  ['devices', 'Devices'],
  ['updates', 'Updates'],
  ['sinks', 'Sinks'],
  ['access', 'Access'],
];

function App() {
  const [signedIn, setSignedIn] = useState(hasToken());
  const route = useRoute();
  useEffect(
    () =>
      onUnauthorized(() => {
        signOut();
        setSignedIn(false);
      }),
    [],
  );
  if (!signedIn) return <SignInPage onSignedIn={() => setSignedIn(true)} />;
  const [page = 'fleet', arg] = route;
  const current = page === 'gateway' ? 'fleet' : page;
  let body;
  switch (page) {
    case 'gateway':
      body = arg === undefined ? <FleetPage /> : <GatewayPage id={arg} />;
      break;
    case 'commands':
      body = <CommandsPage id={arg} />;
      break;
    case 'config':
      body = <ConfigPage />;
      break;
    case 'queues':
      body = <QueuesPage />;
      break;
    case 'devices':
      body = <DevicesPage />;
      break;
    case 'updates':
      body = <UpdatesPage />;
      break;
    case 'sinks':
      body = <SinksPage />;
      break;
    case 'access':
      body = <AccessPage />;
      break;
    default:
      body = <FleetPage />;
  }
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Causeway</span>
        <nav aria-label="pages">
          <ul>
            {NAV.map(([k, label]) => (
              <li key={k}>
                <a href={`#/${k}`} aria-current={current === k ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button
          type="button"
          class="sign-out"
          onClick={() => {
            signOut();
            setSignedIn(false);
          }}
        >
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {body}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
