import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { api, errorMessage, onUnauthorized, setCsrfToken } from './api';
import { startEvents, stopEvents, useLive } from './events';
import { navigate, useRoute } from './router';
import { Icon, Loading, Overlays, PageBoundary, Spinner } from './ui';
import { SetupWizard } from './pages/Setup';
import { Login } from './pages/Login';
import { ChannelsPage } from './pages/Channels';
import { RulesPage } from './pages/Rules';
import { TransformersPage } from './pages/Transformers';
import { RequestsPage } from './pages/Requests';
import { KeysPage } from './pages/Keys';
import { SettingsPage } from './pages/Settings';

// The chart pages carry the chart library; load them on demand.
const OverviewPage = lazy(() => import('./pages/Overview').then((m) => ({ default: m.OverviewPage })));
const AnalyticsPage = lazy(() => import('./pages/Analytics').then((m) => ({ default: m.AnalyticsPage })));

type Phase = 'loading' | 'setup' | 'login' | 'app' | 'error';

const NAV = [
  { path: '/overview', id: 'overview', label: 'Overview' },
  { path: '/channels', id: 'channels', label: 'Channels' },
  { path: '/rules', id: 'rules', label: 'Rules' },
  { path: '/transformers', id: 'transformers', label: 'Transformers' },
  { path: '/analytics', id: 'analytics', label: 'Analytics' },
  { path: '/requests', id: 'requests', label: 'Request log' },
  { path: '/keys', id: 'keys', label: 'API keys' },
  { path: '/settings', id: 'settings', label: 'Settings' },
];

export function App() {
  const [phase, setPhase] = useState<Phase>('loading');
  const [username, setUsername] = useState('');
  const [bootError, setBootError] = useState('');

  const boot = useCallback(async () => {
    setPhase('loading');
    try {
      const s = await api.session();
      setCsrfToken(s.csrfToken);
      setUsername(s.username ?? '');
      if (s.setupNeeded) setPhase('setup');
      else if (!s.authenticated) setPhase('login');
      else setPhase('app');
    } catch (e) {
      setBootError(errorMessage(e));
      setPhase('error');
    }
  }, []);

  useEffect(() => {
    boot();
  }, [boot]);

  useEffect(() => {
    onUnauthorized(() => {
      setCsrfToken('');
      setPhase((p) => (p === 'app' ? 'login' : p));
    });
    return () => onUnauthorized(null);
  }, []);

  useEffect(() => {
    if (phase === 'app') startEvents();
    else stopEvents();
  }, [phase]);

  const signedIn = (user: string, token: string) => {
    setCsrfToken(token);
    setUsername(user);
    setPhase('app');
  };

  const logout = async () => {
    try {
      await api.logout();
    } catch {
      /* the session is gone either way */
    }
    setCsrfToken('');
    setPhase('login');
  };

  let body;
  switch (phase) {
    case 'loading':
      body = (
        <div className="boot">
          <Spinner /> <span>Connecting to routex…</span>
        </div>
      );
      break;
    case 'error':
      body = (
        <div className="boot">
          <div className="boot-error" data-testid="boot-error">
            <h1>Cannot load the dashboard</h1>
            <p>{bootError}</p>
            <button className="btn btn-primary" onClick={boot}>
              Retry
            </button>
          </div>
        </div>
      );
      break;
    case 'setup':
      body = (
        <SetupWizard
          onDone={(u, t) => {
            navigate('/overview');
            signedIn(u, t);
          }}
        />
      );
      break;
    case 'login':
      body = <Login onDone={signedIn} />;
      break;
    case 'app':
      body = <Shell username={username} onLogout={logout} />;
      break;
  }
  return (
    <>
      {body}
      <Overlays />
    </>
  );
}

function Shell({ username, onLogout }: { username: string; onLogout: () => void }) {
  const route = useRoute();
  const live = useLive();
  const path = NAV.some((n) => n.path === route.path) ? route.path : '/overview';

  useEffect(() => {
    const item = NAV.find((n) => n.path === path);
    document.title = item ? `${item.label} · routex` : 'routex';
  }, [path]);

  let page;
  switch (path) {
    case '/channels':
      page = <ChannelsPage />;
      break;
    case '/rules':
      page = <RulesPage />;
      break;
    case '/transformers':
      page = <TransformersPage />;
      break;
    case '/analytics':
      page = <AnalyticsPage />;
      break;
    case '/requests':
      page = <RequestsPage params={route.params} />;
      break;
    case '/keys':
      page = <KeysPage />;
      break;
    case '/settings':
      page = <SettingsPage onLogout={onLogout} />;
      break;
    default:
      page = <OverviewPage />;
  }

  return (
    <div className="layout">
      <aside className="sidebar">
        <div className="sidebar-inner">
          <a className="brand" href="#/overview">
            <span className="brand-mark">
              <svg viewBox="0 0 32 32" width="28" height="28" aria-hidden="true">
                <rect width="32" height="32" rx="8" fill="currentColor" />
                <path
                  d="M9 22V10h7a4 4 0 0 1 0 8h-7m7 0 5 4"
                  fill="none"
                  stroke="#fff"
                  strokeWidth="2.6"
                  strokeLinecap="round"
                  strokeLinejoin="round"
                />
              </svg>
            </span>
            <span className="brand-name">routex</span>
          </a>
          <nav className="nav">
            {NAV.map((n) => (
              <a
                key={n.id}
                href={'#' + n.path}
                className={'nav-link' + (path === n.path ? ' active' : '')}
                data-testid={'nav-' + n.id}
                id={'nav-' + n.id}
                aria-current={path === n.path ? 'page' : undefined}
              >
                <Icon name={n.id} size={17} />
                <span>{n.label}</span>
              </a>
            ))}
          </nav>
          <div className="sidebar-footer">
            <div className={'live-pill' + (live.connected ? ' on' : '')} title={live.connected ? 'Live updates connected' : 'Live updates disconnected'}>
              <span className="dot" /> {live.connected ? 'Live' : 'Offline'}
            </div>
            <div className="user">
              <div className="avatar">{(username || 'a').slice(0, 1).toUpperCase()}</div>
              <div className="user-name" data-testid="current-user">
                {username || 'admin'}
              </div>
              <button className="btn btn-icon btn-ghost" onClick={onLogout} title="Sign out" aria-label="Sign out" data-testid="logout">
                <Icon name="logout" />
              </button>
            </div>
          </div>
        </div>
      </aside>
      <main className="main">
        <PageBoundary resetKey={path}>
          <Suspense fallback={<Loading />}>{page}</Suspense>
        </PageBoundary>
      </main>
    </div>
  );
}
