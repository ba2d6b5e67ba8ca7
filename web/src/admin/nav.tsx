import {
  ApiOutlined,
  AuditOutlined,
  BarChartOutlined,
  ClusterOutlined,
  ContactsOutlined,
  DashboardOutlined,
  FileDoneOutlined,
  IdcardOutlined,
  MoneyCollectOutlined,
  QuestionCircleOutlined,
  ShopOutlined,
  SoundOutlined,
  TagsOutlined,
} from '@ant-design/icons';
import type { NavItem } from '../shared/nav';

// The back office's URL map; later issues (money, website/CRM, call control) fill the empty pages.
export const ADMIN_NAV: NavItem[] = [
  { path: '/admin', label: 'nav.admin.dashboard', icon: <DashboardOutlined /> },
  { path: '/admin/leads', label: 'nav.admin.leads', icon: <ContactsOutlined /> },
  { path: '/admin/tenants', label: 'nav.admin.tenants', icon: <ShopOutlined /> },
  { path: '/admin/trunks', label: 'nav.admin.trunks', icon: <ApiOutlined /> },
  { path: '/admin/nodes', label: 'nav.admin.nodes', icon: <ClusterOutlined /> },
  { path: '/admin/announcements', label: 'nav.admin.announcements', icon: <SoundOutlined /> },
  { path: '/admin/price-plans', label: 'nav.admin.priceplans', icon: <TagsOutlined /> },
  { path: '/admin/recharges', label: 'nav.admin.recharges', icon: <MoneyCollectOutlined /> },
  { path: '/admin/invoices', label: 'nav.admin.invoices', icon: <FileDoneOutlined /> },
  { path: '/admin/stats', label: 'nav.admin.stats', icon: <BarChartOutlined /> },
  { path: '/admin/help-docs', label: 'crm.nav.help', icon: <QuestionCircleOutlined /> },
  { path: '/admin/staff', label: 'nav.admin.staff', icon: <IdcardOutlined /> },
  { path: '/admin/audit', label: 'nav.admin.audit', icon: <AuditOutlined /> },
];
