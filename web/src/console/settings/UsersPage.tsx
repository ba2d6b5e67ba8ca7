import { PlusOutlined } from '@ant-design/icons';
import { App as AntApp, Button, Card, Descriptions, Space, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import * as api from '../../api/console';
import type { User } from '../../api/types';
import { formatDateTime, useI18n } from '../../i18n';
import { CreateAccountModal } from '../../shared/CreateAccountModal';
import { ErrorAlert, errorDetail, errorTitle } from '../../shared/errors';
import { PageHeader } from '../../shared/PageHeader';
import { roleLabel, USER_ROLES } from '../../shared/roles';
import { useCursorList } from '../../shared/useCursorList';
import { usePageTitle } from '../../shared/usePageTitle';
import { useConsoleSession } from '../session';

const CREATABLE_ROLES = USER_ROLES.filter((r) => r !== 'owner');

export function UsersPage() {
  const { t, locale } = useI18n();
  const { modal, message } = AntApp.useApp();
  const { session } = useConsoleSession();
  const list = useCursorList((p, signal) => api.listUsers(p, signal), {});
  const [creating, setCreating] = useState(false);
  usePageTitle(t('nav.console.users'), 'waihu');

  const toggle = (u: User) => {
    const disabling = !u.disabled;
    modal.confirm({
      title: disabling ? t('users.disable.confirm', { name: u.name || u.email }) : t('users.enable.confirm', { name: u.name || u.email }),
      content: disabling ? t('users.disable.text') : undefined,
      okText: disabling ? t('users.disable') : t('users.enable'),
      okButtonProps: { danger: disabling },
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await api.updateUser(u.id, { disabled: disabling });
          message.success(disabling ? t('users.disabled_ok') : t('users.enabled_ok'));
          list.reload();
        } catch (err) {
          message.error(`${errorTitle(t, err)} ${errorDetail(t, err)}`.trim());
        }
      },
    });
  };

  // An agent who lost their phone's password gets a new one from an admin;
  // it is shown once here (the agent also reads it on their 坐席 page).
  const resetSip = (u: User) => {
    modal.confirm({
      title: t('users.sip_reset.confirm', { name: u.name || u.email }),
      content: t('sipseat.reset.text'),
      okText: t('sipseat.reset'),
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          const acc = await api.resetUserSipAccount(u.id);
          modal.success({
            title: t('sipseat.reset_ok'),
            content: (
              <Descriptions column={1} size="small" data-testid="user-sip-result">
                <Descriptions.Item label={t('sipseat.ext')}>{acc.ext}</Descriptions.Item>
                <Descriptions.Item label={t('sipseat.password')}>
                  <Typography.Text copyable code data-testid="user-sip-password">
                    {acc.password}
                  </Typography.Text>
                </Descriptions.Item>
              </Descriptions>
            ),
          });
        } catch (err) {
          message.error(`${errorTitle(t, err)} ${errorDetail(t, err)}`.trim());
        }
      },
    });
  };

  const columns: ColumnsType<User> = [
    { title: t('field.name'), dataIndex: 'name', key: 'name' },
    { title: t('field.email'), dataIndex: 'email', key: 'email' },
    { title: t('user.role'), dataIndex: 'role', key: 'role', render: (r: string) => roleLabel(t, 'user', r) },
    {
      title: t('field.status'),
      dataIndex: 'disabled',
      key: 'disabled',
      render: (d: boolean) => (d ? <Tag>{t('status.disabled')}</Tag> : <Tag color="green">{t('status.enabled')}</Tag>),
    },
    { title: t('field.created_at'), dataIndex: 'created_at', key: 'created_at', render: (v: string) => formatDateTime(locale, v) },
    {
      title: t('common.actions'),
      key: 'actions',
      render: (_, u) => (
        <Space>
          {u.role !== 'viewer' && !u.disabled ? (
            <Button size="small" onClick={() => resetSip(u)} data-testid={`user-sip-reset-${u.id}`}>
              {t('users.sip_reset')}
            </Button>
          ) : null}
          {/* The owner cannot be disabled, and disabling yourself would lock you out mid-session. */}
          {u.role === 'owner' || String(u.id) === String(session?.user.id) ? null : (
            <Button size="small" danger={!u.disabled} onClick={() => toggle(u)}>
              {u.disabled ? t('users.enable') : t('users.disable')}
            </Button>
          )}
        </Space>
      ),
    },
  ];

  return (
    <section aria-labelledby="page-title">
      <PageHeader
        title={t('nav.console.users')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
            {t('users.create')}
          </Button>
        }
      />
      <Card>
        {list.error ? <ErrorAlert error={list.error} /> : null}
        <Table<User>
          rowKey="id"
          columns={columns}
          dataSource={list.items}
          loading={list.loading}
          pagination={false}
          scroll={{ x: true }}
          footer={list.hasMore ? () => <Button onClick={list.loadMore}>{t('common.load_more')}</Button> : undefined}
        />
      </Card>
      <CreateAccountModal
        open={creating}
        title={t('users.create')}
        formName="new_user"
        roles={CREATABLE_ROLES.map((r) => ({ value: r, label: roleLabel(t, 'user', r) }))}
        defaultRole="agent"
        create={(v) => api.createUser(v as api.NewUser)}
        onClose={() => setCreating(false)}
        onCreated={() => {
          setCreating(false);
          message.success(t('users.created_ok'));
          list.reload();
        }}
      />
    </section>
  );
}
