import { Button, Result } from 'antd';
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { ApiError } from '../api/client';
import { useT } from '../i18n';
import { errorDetail, errorTitle } from './errors';
import { PageSpinner } from './Spinner';

export interface SessionValue<S> {
  session: S | null;
  setSession: (s: S | null) => void;
}

/** One session store per surface: console and back office have separate cookies and users. */
export function createSession<S>() {
  const Ctx = createContext<SessionValue<S> | null>(null);

  function Provider({ children }: { children: ReactNode }) {
    const [session, setSession] = useState<S | null>(null);
    return <Ctx.Provider value={{ session, setSession }}>{children}</Ctx.Provider>;
  }

  function useSession(): SessionValue<S> {
    const v = useContext(Ctx);
    if (!v) throw new Error('session hook outside its provider');
    return v;
  }

  return { Provider, useSession };
}

/**
 * Renders children once a session is known: from the login response, or else by asking the
 * server (`me`). A 401 sends the user to the surface's login page with the current location
 * as ?next=.
 */
export function RequireSession<S>({
  value,
  probe,
  loginPath,
  children,
}: {
  value: SessionValue<S>;
  probe: (signal: AbortSignal) => Promise<S>;
  loginPath: string;
  children: ReactNode;
}) {
  const t = useT();
  const navigate = useNavigate();
  const location = useLocation();
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  const { session, setSession } = value;

  useEffect(() => {
    if (session) return;
    const ctl = new AbortController();
    setError(null);
    probe(ctl.signal).then(
      (s) => {
        if (!ctl.signal.aborted) setSession(s);
      },
      (err: unknown) => {
        if (ctl.signal.aborted) return;
        if (err instanceof ApiError && err.status === 401) {
          const next = location.pathname + location.search;
          navigate(`${loginPath}?next=${encodeURIComponent(next)}`, { replace: true });
          return;
        }
        setError(err);
      },
    );
    return () => ctl.abort();
    // The location is read only when the probe fails; re-probing on every navigation is not wanted.
  }, [session, attempt]);

  if (session) return <>{children}</>;
  if (error) {
    return (
      <main id="main-content">
        <Result
          status="error"
          title={errorTitle(t, error)}
          subTitle={errorDetail(t, error)}
          extra={
            <Button type="primary" onClick={() => setAttempt((a) => a + 1)}>
              {t('common.retry')}
            </Button>
          }
        />
      </main>
    );
  }
  return <PageSpinner />;
}
