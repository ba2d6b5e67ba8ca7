import {
  ApiOutlined,
  CustomerServiceOutlined,
  DashboardOutlined,
  FileTextOutlined,
  KeyOutlined,
  MessageOutlined,
  PhoneOutlined,
  SettingOutlined,
  SkinOutlined,
  StopOutlined,
  TeamOutlined,
  UnorderedListOutlined,
  WalletOutlined,
} from '@ant-design/icons';
import type { NavItem } from '../shared/nav';

// Paths here are the console's URL map; later issues fill the empty pages in place.
export const CONSOLE_NAV: NavItem[] = [
  { path: '/console', label: 'nav.console.dashboard', icon: <DashboardOutlined /> },
  { path: '/console/lists', label: 'nav.console.lists', icon: <UnorderedListOutlined /> },
  { path: '/console/campaigns', label: 'nav.console.campaigns', icon: <PhoneOutlined /> },
  { path: '/console/scripts', label: 'nav.console.scripts', icon: <MessageOutlined /> },
  { path: '/console/results', label: 'nav.console.results', icon: <FileTextOutlined /> },
  { path: '/console/dnc', label: 'nav.console.dnc', icon: <StopOutlined /> },
  { path: '/console/agents', label: 'nav.console.agents', icon: <CustomerServiceOutlined /> },
  { path: '/console/billing', label: 'nav.console.billing', icon: <WalletOutlined /> },
  {
    path: '/console/settings',
    label: 'nav.console.settings',
    icon: <SettingOutlined />,
    children: [
      { path: '/console/settings/users', label: 'nav.console.users', icon: <TeamOutlined /> },
      { path: '/console/settings/api-keys', label: 'nav.console.apikeys', icon: <KeyOutlined /> },
      { path: '/console/settings/webhooks', label: 'campaign.nav.webhooks', icon: <ApiOutlined /> },
      { path: '/console/settings/branding', label: 'nav.console.branding', icon: <SkinOutlined /> },
    ],
  },
];
