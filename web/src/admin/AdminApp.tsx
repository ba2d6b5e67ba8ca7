// The operator back office (/admin). Loaded lazily, so tenants never download it.
import { App as AntApp } from 'antd';
import { lazy, Suspense } from 'react';
import { Route, Routes, useNavigate } from 'react-router';
import * as api from '../api/admin';
import { useT } from '../i18n';
import { AppShell } from '../shared/AppShell';
import { NotFound } from '../shared/NotFound';
import { PageSpinner } from '../shared/Spinner';
import { roleLabel } from '../shared/roles';
import { RequireSession } from '../shared/session';
import { AuditPage } from './AuditPage';
import { InvoicesPage } from './billing/InvoicesPage';
import { PricePlansPage } from './billing/PricePlansPage';
import { RechargesPage } from './billing/RechargesPage';
import { DashboardPage } from './DashboardPage';
import { HelpDocsPage } from './help/HelpDocsPage';
import { LeadDetailPage } from './leads/LeadDetailPage';
import { LeadsPage } from './leads/LeadsPage';
import { LoginPage } from './LoginPage';
import { NodesPage } from './nodes/NodesPage';
import { TrunksPage } from './trunks/TrunksPage';
import { AnnouncementsPage } from './announcements/AnnouncementsPage';
import { ADMIN_NAV } from './nav';
import { AdminSessionProvider, useAdminSession } from './session';
import { StaffPage } from './StaffPage';
import { TenantsPage } from './TenantsPage';

// Statistics carry the charts; they load only when opened.
const StatsPage = lazy(() => import('./stats/StatsPage'));

function AdminShell() {
  const t = useT();
  const navigate = useNavigate();
  const { message } = AntApp.useApp();
  const { session, setSession } = useAdminSession();
  if (!session) return null;
  const { staff } = session;

  const logout = async () => {
    try {
      await api.logout();
    } catch {
      // Already logged out server-side; finish locally.
    }
    setSession(null);
    message.success(t('auth.logged_out'));
    navigate('/admin/login', { replace: true });
  };

  return (
    <AppShell
      nav={ADMIN_NAV}
      mark="waihu"
      navLabel={t('shell.nav.admin')}
      brand={<span>{t('shell.admin_title')}</span>}
      user={{ name: staff.name || staff.email, email: staff.email, roleLabel: roleLabel(t, 'staff', staff.role), onLogout: logout }}
    />
  );
}

function Protected() {
  const value = useAdminSession();
  return (
    <RequireSession value={value} probe={api.me} loginPath="/admin/login">
      <AdminShell />
    </RequireSession>
  );
}

export default function AdminApp() {
  return (
    <AdminSessionProvider>
      <Routes>
        <Route path="login" element={<LoginPage />} />
        <Route element={<Protected />}>
          <Route index element={<DashboardPage />} />
          <Route path="leads" element={<LeadsPage />} />
          <Route path="leads/:id" element={<LeadDetailPage />} />
          <Route path="tenants" element={<TenantsPage />} />
          <Route path="trunks" element={<TrunksPage />} />
          <Route path="announcements" element={<AnnouncementsPage />} />
          <Route path="nodes" element={<NodesPage />} />
          <Route path="price-plans" element={<PricePlansPage />} />
          <Route path="recharges" element={<RechargesPage />} />
          <Route path="invoices" element={<InvoicesPage />} />
          <Route
            path="stats"
            element={
              <Suspense fallback={<PageSpinner />}>
                <StatsPage />
              </Suspense>
            }
          />
          <Route path="help-docs" element={<HelpDocsPage />} />
          <Route path="staff" element={<StaffPage />} />
          <Route path="audit" element={<AuditPage />} />
          <Route path="*" element={<NotFound home="/admin" />} />
        </Route>
      </Routes>
    </AdminSessionProvider>
  );
}
