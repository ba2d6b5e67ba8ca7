import { App as AntApp, Button, Card, Form, Input, List, Modal, Segmented, Select, Space, Table, Tag } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import * as api from '../../api/crm';
import type { Lead, LeadStage } from '../../api/crm';
import { formatDateTime, useI18n } from '../../i18n';
import { applyFieldErrors, ErrorAlert } from '../../shared/errors';
import { PageHeader } from '../../shared/PageHeader';
import { useCursorList } from '../../shared/useCursorList';
import { usePageTitle } from '../../shared/usePageTitle';
import { useAdminSession } from '../session';
import { label, STAGE_COLOR } from './labels';

type View = 'all' | 'mine' | 'pool';

export function LeadsPage() {
  const { t, locale } = useI18n();
  const { session } = useAdminSession();
  const [view, setView] = useState<View>('all');
  const [stage, setStage] = useState<LeadStage | ''>('');
  const [q, setQ] = useState('');
  const [due, setDue] = useState<Lead[]>([]);
  const [adding, setAdding] = useState(false);
  const { message } = AntApp.useApp();
  usePageTitle(t('nav.admin.leads'), t('shell.admin_title'));
  const filter = { stage, q, owner: view === 'mine' ? 'me' : '', pool: view === 'pool' ? true : undefined };
  const list = useCursorList((p, signal) => api.listLeads(p, signal), filter);

  useEffect(() => {
    const ctl = new AbortController();
    api.reminders(ctl.signal).then(
      (r) => setDue(r.items),
      () => undefined,
    );
    return () => ctl.abort();
  }, []);

  const owner = (l: Lead) => {
    if (!l.owner_id || l.owner_id === 0) return <Tag>{t('crm.pool')}</Tag>;
    if (session && String(l.owner_id) === String(session.staff.id)) return t('crm.owner.me');
    return `#${l.owner_id}`;
  };

  const columns: ColumnsType<Lead> = [
    {
      title: t('crm.company'),
      key: 'company',
      render: (_, l) => (
        <Link to={`/admin/leads/${l.id}`} data-testid="lead-link">
          {l.company || l.contact_name || `#${l.id}`}
        </Link>
      ),
    },
    {
      title: t('crm.contact'),
      key: 'contact',
      render: (_, l) => (
        <div>
          <div>{l.contact_name}</div>
          <div style={{ color: '#595959' }}>{l.phone}</div>
          <div style={{ color: '#595959' }}>{l.email}</div>
        </div>
      ),
    },
    {
      title: t('crm.source'),
      key: 'source',
      render: (_, l) => (
        <div>
          {label(t, 'crm.source', l.source)}
          {l.utm_campaign ? <div style={{ color: '#595959' }}>utm: {l.utm_campaign}</div> : null}
        </div>
      ),
    },
    {
      title: t('crm.stage'),
      dataIndex: 'stage',
      key: 'stage',
      render: (s: string) => (
        <Tag color={STAGE_COLOR[s]} data-testid="lead-stage">
          {label(t, 'crm.stage', s)}
        </Tag>
      ),
    },
    { title: t('crm.owner'), key: 'owner', render: (_, l) => owner(l) },
    { title: t('crm.next_follow_up'), dataIndex: 'next_follow_up_at', key: 'next', render: (v: string | null) => formatDateTime(locale, v) },
    { title: t('field.created_at'), dataIndex: 'created_at', key: 'created_at', render: (v: string) => formatDateTime(locale, v) },
  ];

  return (
    <section aria-labelledby="page-title">
      <PageHeader
        title={t('nav.admin.leads')}
        extra={
          <Button type="primary" onClick={() => setAdding(true)}>
            {t('crm.lead.add')}
          </Button>
        }
      />
      {due.length > 0 ? (
        <Card title={t('crm.reminders')} size="small" style={{ marginBottom: 16 }}>
          <List
            size="small"
            dataSource={due}
            renderItem={(l) => (
              <List.Item>
                <Link to={`/admin/leads/${l.id}`}>{l.company || l.contact_name}</Link>
                <span>{formatDateTime(locale, l.next_follow_up_at)}</span>
              </List.Item>
            )}
          />
        </Card>
      ) : null}
      <Card>
        <Space wrap style={{ marginBottom: 16 }} role="search" aria-label={t('crm.filters')}>
          <Segmented<View>
            value={view}
            onChange={setView}
            options={[
              { value: 'all', label: t('crm.view.all') },
              { value: 'mine', label: t('crm.view.mine') },
              { value: 'pool', label: t('crm.pool') },
            ]}
          />
          <Select<LeadStage | ''>
            aria-label={t('crm.stage')}
            style={{ minWidth: 140 }}
            value={stage}
            onChange={setStage}
            options={[{ value: '', label: t('crm.stage.all') }, ...api.LEAD_STAGES.map((s) => ({ value: s, label: label(t, 'crm.stage', s) }))]}
          />
          <Input.Search
            aria-label={t('crm.search')}
            placeholder={t('crm.search')}
            allowClear
            enterButton={t('common.search')}
            onSearch={(v) => setQ(v.trim())}
            style={{ minWidth: 260 }}
          />
        </Space>
        {list.error ? <ErrorAlert error={list.error} /> : null}
        <Table<Lead>
          rowKey="id"
          columns={columns}
          dataSource={list.items}
          loading={list.loading}
          pagination={false}
          scroll={{ x: true }}
          footer={list.hasMore ? () => <Button onClick={list.loadMore}>{t('common.load_more')}</Button> : undefined}
        />
      </Card>
      <AddLeadModal
        open={adding}
        onClose={() => setAdding(false)}
        onDone={() => {
          setAdding(false);
          message.success(t('crm.saved'));
          list.reload();
        }}
      />
    </section>
  );
}

function AddLeadModal({ open, onClose, onDone }: { open: boolean; onClose: () => void; onDone: () => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<api.ManualLead>();
  const [error, setError] = useState<unknown>(null);
  const submit = async (v: api.ManualLead) => {
    setError(null);
    try {
      await api.createLead({ company: v.company.trim(), contact_name: v.contact_name.trim(), phone: v.phone.trim(), email: (v.email ?? '').trim(), message: (v.message ?? '').trim() });
      form.resetFields();
      onDone();
    } catch (err) {
      if (!applyFieldErrors(form, err, ['company', 'contact_name', 'phone', 'email', 'message'])) setError(err);
    }
  };
  return (
    <Modal open={open} title={t('crm.lead.add')} okText={t('crm.save')} cancelText={t('common.cancel')} onOk={() => form.submit()} onCancel={onClose} forceRender>
      <Form form={form} name="add_lead" layout="vertical" onFinish={submit}>
        <Form.Item name="company" label={t('crm.company')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
          <Input maxLength={128} />
        </Form.Item>
        <Form.Item name="contact_name" label={t('crm.contact')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
          <Input maxLength={64} />
        </Form.Item>
        <Form.Item name="phone" label={t('field.phone')} rules={[{ required: true, message: t('validation.required') }]}>
          <Input maxLength={32} />
        </Form.Item>
        <Form.Item name="email" label={t('field.email')} rules={[{ type: 'email', message: t('validation.email') }]}>
          <Input maxLength={191} />
        </Form.Item>
        <Form.Item name="message" label={t('crm.message')}>
          <Input.TextArea rows={3} maxLength={2000} />
        </Form.Item>
      </Form>
      {error ? <ErrorAlert error={error} /> : null}
    </Modal>
  );
}
