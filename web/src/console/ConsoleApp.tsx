// The tenant console (/console). Loaded lazily, so back-office code never reaches tenants.
import { App as AntApp } from 'antd';
import { Navigate, Route, Routes, useNavigate } from 'react-router';
import * as api from '../api/console';
import { useT } from '../i18n';
import { AppShell } from '../shared/AppShell';
import { EmptyPage } from '../shared/EmptyPage';
import { NotFound } from '../shared/NotFound';
import { RequireSession } from '../shared/session';
import { roleLabel } from '../shared/roles';
import { BillingPage } from './billing/BillingPage';
import { CampaignLivePage, CampaignsPage } from './campaigns/CampaignsPage';
import { WebhooksPage } from './campaigns/WebhooksPage';
import { DashboardPage } from './DashboardPage';
import { DncPage } from './dnc/DncPage';
import { ListsPage } from './lists/ListsPage';
import { ResultsPage } from './results/ResultsPage';
import { LoginPage } from './LoginPage';
import { ScriptEditorPage } from './scripts/ScriptEditorPage';
import { ScriptsPage } from './scripts/ScriptsPage';
import { CONSOLE_NAV } from './nav';
import { ConsoleSessionProvider, useConsoleSession } from './session';
import { AgentSeatPage } from './agents/AgentSeatPage';
import { ApiKeysPage } from './settings/ApiKeysPage';
import { UsersPage } from './settings/UsersPage';
import { SignupDonePage, SignupPage } from './SignupPage';

function ConsoleShell() {
  const t = useT();
  const navigate = useNavigate();
  const { message } = AntApp.useApp();
  const { session, setSession } = useConsoleSession();
  if (!session) return null;
  const { user, tenant } = session;
  const displayName = tenant.display_name || tenant.name;

  const logout = async () => {
    try {
      await api.logout();
    } catch {
      // The session may already be gone server-side; the user still ends up logged out here.
    }
    setSession(null);
    message.success(t('auth.logged_out'));
    navigate('/console/login', { replace: true });
  };

  return (
    <AppShell
      nav={CONSOLE_NAV}
      mark="waihu"
      navLabel={t('shell.nav.console')}
      brand={
        <>
          {tenant.logo_url ? <img src={tenant.logo_url} alt="" /> : null}
          <span data-testid="tenant-name">{displayName}</span>
        </>
      }
      user={{ name: user.name || user.email, email: user.email, roleLabel: roleLabel(t, 'user', user.role), onLogout: logout }}
    />
  );
}

function Protected() {
  const value = useConsoleSession();
  return (
    <RequireSession value={value} probe={api.me} loginPath="/console/login">
      <ConsoleShell />
    </RequireSession>
  );
}

export default function ConsoleApp() {
  return (
    <ConsoleSessionProvider>
      <Routes>
        <Route path="login" element={<LoginPage />} />
        <Route path="signup" element={<SignupPage />} />
        <Route path="signup/done" element={<SignupDonePage />} />
        <Route element={<Protected />}>
          <Route index element={<DashboardPage />} />
          <Route path="scripts" element={<ScriptsPage />} />
          <Route path="scripts/:id" element={<ScriptEditorPage />} />
          <Route path="lists" element={<ListsPage />} />
          <Route path="campaigns" element={<CampaignsPage />} />
          <Route path="campaigns/:id" element={<CampaignLivePage />} />
          <Route path="results" element={<ResultsPage />} />
          <Route path="dnc" element={<DncPage />} />
          <Route path="agents" element={<AgentSeatPage />} />
          <Route path="billing" element={<BillingPage />} />
          <Route path="settings" element={<Navigate to="/console/settings/users" replace />} />
          <Route path="settings/users" element={<UsersPage />} />
          <Route path="settings/api-keys" element={<ApiKeysPage />} />
          <Route path="settings/webhooks" element={<WebhooksPage />} />
          <Route
            path="settings/branding"
            element={<EmptyPage title="nav.console.branding" description="empty.console.branding" />}
          />
          <Route path="*" element={<NotFound home="/console" />} />
        </Route>
      </Routes>
    </ConsoleSessionProvider>
  );
}
