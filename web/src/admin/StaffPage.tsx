import { PlusOutlined } from '@ant-design/icons';
import { App as AntApp, Button, Card, Table, Tag } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import * as api from '../api/admin';
import type { Staff } from '../api/types';
import { formatDateTime, useI18n } from '../i18n';
import { CreateAccountModal } from '../shared/CreateAccountModal';
import { ErrorAlert, errorDetail, errorTitle } from '../shared/errors';
import { PageHeader } from '../shared/PageHeader';
import { roleLabel, STAFF_ROLES } from '../shared/roles';
import { useCursorList } from '../shared/useCursorList';
import { usePageTitle } from '../shared/usePageTitle';
import { useAdminSession } from './session';

export function StaffPage() {
  const { t, locale } = useI18n();
  const { modal, message } = AntApp.useApp();
  const { session } = useAdminSession();
  const list = useCursorList((p, signal) => api.listStaff(p, signal), {});
  const [creating, setCreating] = useState(false);
  usePageTitle(t('nav.admin.staff'), t('shell.admin_title'));

  const toggle = (s: Staff) => {
    const disabling = !s.disabled;
    const name = s.name || s.email;
    modal.confirm({
      title: disabling ? t('users.disable.confirm', { name }) : t('users.enable.confirm', { name }),
      content: disabling ? t('staff.disable.text') : undefined,
      okText: disabling ? t('users.disable') : t('users.enable'),
      okButtonProps: { danger: disabling },
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await api.updateStaff(s.id, { disabled: disabling });
          message.success(disabling ? t('users.disabled_ok') : t('users.enabled_ok'));
          list.reload();
        } catch (err) {
          message.error(`${errorTitle(t, err)} ${errorDetail(t, err)}`.trim());
        }
      },
    });
  };

  const columns: ColumnsType<Staff> = [
    { title: t('field.name'), dataIndex: 'name', key: 'name' },
    { title: t('field.email'), dataIndex: 'email', key: 'email' },
    { title: t('user.role'), dataIndex: 'role', key: 'role', render: (r: string) => roleLabel(t, 'staff', r) },
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
      render: (_, s) =>
        String(s.id) === String(session?.staff.id) ? null : (
          <Button size="small" danger={!s.disabled} onClick={() => toggle(s)}>
            {s.disabled ? t('users.enable') : t('users.disable')}
          </Button>
        ),
    },
  ];

  return (
    <section aria-labelledby="page-title">
      <PageHeader
        title={t('nav.admin.staff')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
            {t('staff.create')}
          </Button>
        }
      />
      <Card>
        {list.error ? <ErrorAlert error={list.error} /> : null}
        <Table<Staff>
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
        title={t('staff.create')}
        formName="new_staff"
        roles={STAFF_ROLES.map((r) => ({ value: r, label: roleLabel(t, 'staff', r) }))}
        defaultRole="support"
        create={(v) => api.createStaff(v as api.NewStaff)}
        onClose={() => setCreating(false)}
        onCreated={() => {
          setCreating(false);
          message.success(t('staff.created_ok'));
          list.reload();
        }}
      />
    </section>
  );
}
