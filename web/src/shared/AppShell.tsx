import { MenuFoldOutlined, MenuUnfoldOutlined } from '@ant-design/icons';
import { Button, Layout, Menu, type MenuProps } from 'antd';
import { useMemo, useState, type ReactNode } from 'react';
import { Link, Outlet, useLocation } from 'react-router';
import { useT } from '../i18n';
import { LanguageSwitch } from './LanguageSwitch';
import { activeNavPath, groupsOf, type NavItem } from './nav';
import { UserMenu, type UserMenuProps } from './UserMenu';

export type { NavItem } from './nav';

export interface AppShellProps {
  nav: NavItem[];
  /** Shown in the header: tenant branding or the operator console name. */
  brand: ReactNode;
  /** Short product mark at the top of the sider. */
  mark: string;
  navLabel: string;
  user: UserMenuProps;
}

export function AppShell({ nav, brand, mark, navLabel, user }: AppShellProps) {
  const t = useT();
  const { pathname } = useLocation();
  const [collapsed, setCollapsed] = useState(false);
  const active = activeNavPath(nav, pathname);
  const [openKeys, setOpenKeys] = useState<string[]>(() => groupsOf(nav, active));

  const items = useMemo<MenuProps['items']>(() => {
    const toItem = (it: NavItem): NonNullable<MenuProps['items']>[number] =>
      it.children
        ? { key: it.path, icon: it.icon, label: t(it.label), children: it.children.map(toItem) }
        : { key: it.path, icon: it.icon, label: <Link to={it.path}>{t(it.label)}</Link> };
    return nav.map(toItem);
  }, [nav, t]);

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <a className="skip-link" href="#main-content">
        {t('a11y.skip')}
      </a>
      <Layout.Sider
        breakpoint="lg"
        collapsedWidth={0}
        collapsed={collapsed}
        onBreakpoint={(broken) => setCollapsed(broken)}
        trigger={null}
        width={220}
      >
        <div className="waihu-logo" aria-hidden>
          {mark}
        </div>
        <nav aria-label={navLabel}>
          <Menu
            theme="dark"
            mode="inline"
            items={items}
            selectedKeys={active ? [active] : []}
            openKeys={openKeys}
            onOpenChange={setOpenKeys}
          />
        </nav>
      </Layout.Sider>
      <Layout>
        <Layout.Header className="waihu-header">
          <div style={{ display: 'flex', alignItems: 'center', gap: 12, minWidth: 0 }}>
            <Button
              type="text"
              icon={collapsed ? <MenuUnfoldOutlined /> : <MenuFoldOutlined />}
              onClick={() => setCollapsed((c) => !c)}
              aria-label={collapsed ? t('shell.menu.show') : t('shell.menu.hide')}
              aria-expanded={!collapsed}
            />
            <div className="waihu-brand" data-testid="brand">
              {brand}
            </div>
          </div>
          <div className="waihu-header-actions">
            <LanguageSwitch />
            <UserMenu {...user} />
          </div>
        </Layout.Header>
        <Layout.Content id="main-content" tabIndex={-1} className="waihu-content">
          <Outlet />
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
