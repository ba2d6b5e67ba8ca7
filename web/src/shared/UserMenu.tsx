import { LogoutOutlined, UserOutlined } from '@ant-design/icons';
import { Avatar, Button, Dropdown, theme } from 'antd';
import { cloneElement, isValidElement, type CSSProperties, type ReactElement } from 'react';
import { useT } from '../i18n';

export interface UserMenuProps {
  name: string;
  email: string;
  roleLabel: string;
  onLogout: () => void;
}

export function UserMenu({ name, email, roleLabel, onLogout }: UserMenuProps) {
  const t = useT();
  const { token } = theme.useToken();
  return (
    <Dropdown
      trigger={['click']}
      menu={{
        items: [{ key: 'logout', icon: <LogoutOutlined />, label: t('user.logout'), danger: true }],
        onClick: ({ key }) => {
          if (key === 'logout') onLogout();
        },
      }}
      // Who is logged in is shown as text above the menu rather than as a disabled menu item,
      // which antd greys out below readable contrast.
      popupRender={(menu) => (
        <div
          style={{
            background: token.colorBgElevated,
            borderRadius: token.borderRadiusLG,
            boxShadow: token.boxShadowSecondary,
            minWidth: 220,
          }}
        >
          <div style={{ padding: '12px 16px 8px', borderBottom: `1px solid ${token.colorSplit}` }} data-testid="user-menu-identity">
            <div style={{ fontWeight: 600 }}>{name}</div>
            <div style={{ color: token.colorTextSecondary }}>{email}</div>
            <div style={{ color: token.colorTextSecondary }}>
              {t('user.role')}: {roleLabel}
            </div>
          </div>
          {isValidElement(menu)
            ? cloneElement(menu as ReactElement<{ style?: CSSProperties }>, { style: { boxShadow: 'none' } })
            : menu}
        </div>
      )}
    >
      <Button type="text" aria-label={t('user.menu', { name })} data-testid="user-menu">
        <Avatar size="small" icon={<UserOutlined />} aria-hidden />
        <span>{name}</span>
      </Button>
    </Dropdown>
  );
}
