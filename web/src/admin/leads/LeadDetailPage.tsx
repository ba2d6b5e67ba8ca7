import { App as AntApp, Alert, Button, Card, Col, Descriptions, Form, Input, Modal, Row, Select, Space, Tag, Timeline, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import * as api from '../../api/crm';
import type { Converted, FollowUp, FollowUpKind, Lead, LeadStage } from '../../api/crm';
import { formatDateTime, useI18n } from '../../i18n';
import { applyFieldErrors, ErrorAlert, errorDetail, errorTitle } from '../../shared/errors';
import { PageHeader } from '../../shared/PageHeader';
import { PageSpinner } from '../../shared/Spinner';
import { usePageTitle } from '../../shared/usePageTitle';
import { useAdminSession } from '../session';
import { label, STAGE_COLOR } from './labels';

// A datetime-local value ("2026-11-25T09:30") in the browser's zone, as RFC 3339 UTC.
function toRFC3339(local: string | undefined): string | undefined {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export function LeadDetailPage() {
  const { id = '' } = useParams();
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const { session } = useAdminSession();
  const [lead, setLead] = useState<Lead | null>(null);
  const [followUps, setFollowUps] = useState<FollowUp[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [converting, setConverting] = useState(false);
  const [converted, setConverted] = useState<Converted | null>(null);
  const [losing, setLosing] = useState(false);
  usePageTitle(lead?.company || t('nav.admin.leads'), t('shell.admin_title'));

  const load = useCallback(
    (signal?: AbortSignal) =>
      api.getLead(id, signal).then(
        (d) => {
          setLead(d.lead);
          setFollowUps(d.follow_ups);
        },
        (err: unknown) => {
          if (!signal?.aborted) setError(err);
        },
      ),
    [id],
  );

  useEffect(() => {
    const ctl = new AbortController();
    void load(ctl.signal);
    return () => ctl.abort();
  }, [load]);

  if (error && !lead) return <ErrorAlert error={error} />;
  if (!lead) return <PageSpinner />;

  const act = async (fn: () => Promise<unknown>, ok: string) => {
    try {
      await fn();
      message.success(ok);
      await load();
    } catch (err) {
      message.error(`${errorTitle(t, err)} ${errorDetail(t, err)}`.trim());
    }
  };

  const setStage = (stage: LeadStage) => {
    if (stage === 'lost') {
      setLosing(true);
      return;
    }
    void act(() => api.updateLead(lead.id, { stage }), t('crm.saved'));
  };

  const mine = session && String(lead.owner_id) === String(session.staff.id);

  return (
    <section aria-labelledby="page-title">
      <PageHeader
        title={lead.company || lead.contact_name}
        extra={
          <Space wrap>
            <Link to="/admin/leads">{t('crm.back')}</Link>
            {!lead.owner_id || lead.owner_id === 0 ? (
              <Button onClick={() => act(() => api.claimLead(lead.id), t('crm.claimed'))}>{t('crm.claim')}</Button>
            ) : null}
            {mine ? <Button onClick={() => act(() => api.updateLead(lead.id, { owner_id: 0 }), t('crm.released'))}>{t('crm.release')}</Button> : null}
            {!lead.tenant_id || lead.tenant_id === 0 ? (
              <Button type="primary" onClick={() => setConverting(true)}>
                {t('crm.convert')}
              </Button>
            ) : (
              <Link to="/admin/tenants">{t('crm.tenant_link', { id: String(lead.tenant_id) })}</Link>
            )}
          </Space>
        }
      />
      {converted ? (
        <Alert
          type="success"
          showIcon
          style={{ marginBottom: 16 }}
          data-testid="converted"
          message={t('crm.converted', { name: converted.tenant.name })}
          description={
            <div>
              <div>
                {t('field.email')}: <Typography.Text copyable data-testid="converted-email">{converted.owner_email}</Typography.Text>
              </div>
              <div>
                {t('field.password')}: <Typography.Text copyable code data-testid="converted-password">{converted.password}</Typography.Text>
              </div>
              <div>{t('crm.converted.hint')}</div>
            </div>
          }
        />
      ) : null}
      <Row gutter={16}>
        <Col xs={24} lg={12}>
          <Card title={t('crm.details')} style={{ marginBottom: 16 }}>
            <Descriptions column={1} size="small">
              <Descriptions.Item label={t('crm.stage')}>
                <Space>
                  <Tag color={STAGE_COLOR[lead.stage]} data-testid="lead-stage">
                    {label(t, 'crm.stage', lead.stage)}
                  </Tag>
                  <Select<LeadStage>
                    aria-label={t('crm.stage.change')}
                    size="small"
                    style={{ minWidth: 120 }}
                    value={lead.stage}
                    onChange={setStage}
                    options={api.LEAD_STAGES.map((s) => ({ value: s, label: label(t, 'crm.stage', s) }))}
                  />
                </Space>
              </Descriptions.Item>
              {lead.stage === 'lost' ? <Descriptions.Item label={t('crm.lost_reason')}>{lead.lost_reason}</Descriptions.Item> : null}
              <Descriptions.Item label={t('crm.contact')}>{lead.contact_name}</Descriptions.Item>
              <Descriptions.Item label={t('field.phone')}>{lead.phone}</Descriptions.Item>
              <Descriptions.Item label={t('field.email')}>{lead.email}</Descriptions.Item>
              <Descriptions.Item label={t('crm.message')}>{lead.message}</Descriptions.Item>
              <Descriptions.Item label={t('crm.source')}>{label(t, 'crm.source', lead.source)}</Descriptions.Item>
              <Descriptions.Item label="UTM">{[lead.utm_source, lead.utm_medium, lead.utm_campaign].filter(Boolean).join(' / ')}</Descriptions.Item>
              <Descriptions.Item label={t('crm.landing')}>{lead.landing}</Descriptions.Item>
              <Descriptions.Item label={t('crm.referrer')}>{lead.referrer}</Descriptions.Item>
              <Descriptions.Item label={t('field.created_at')}>{formatDateTime(locale, lead.created_at)}</Descriptions.Item>
            </Descriptions>
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card title={t('crm.follow_ups')} style={{ marginBottom: 16 }}>
            <FollowUpForm leadId={lead.id} onDone={() => void load()} />
            <Timeline
              style={{ marginTop: 16 }}
              items={followUps.map((f) => ({
                key: String(f.id),
                children: (
                  <div>
                    <strong>{label(t, 'crm.kind', f.kind)}</strong> · {f.staff_name} · {formatDateTime(locale, f.created_at)}
                    <div style={{ whiteSpace: 'pre-wrap' }}>{f.note}</div>
                    {f.next_at ? <div style={{ color: '#595959' }}>{t('crm.next_follow_up')}: {formatDateTime(locale, f.next_at)}</div> : null}
                  </div>
                ),
              }))}
            />
          </Card>
        </Col>
      </Row>
      <ConvertModal
        open={converting}
        lead={lead}
        onClose={() => setConverting(false)}
        onDone={(c) => {
          setConverting(false);
          setConverted(c);
          void load();
        }}
      />
      <LostModal
        open={losing}
        onClose={() => setLosing(false)}
        onSubmit={async (reason) => {
          await api.updateLead(lead.id, { stage: 'lost', lost_reason: reason });
          setLosing(false);
          message.success(t('crm.saved'));
          await load();
        }}
      />
    </section>
  );
}

function FollowUpForm({ leadId, onDone }: { leadId: Lead['id']; onDone: () => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ kind: FollowUpKind; note: string; next_at?: string }>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (v: { kind: FollowUpKind; note: string; next_at?: string }) => {
    setBusy(true);
    setError(null);
    try {
      await api.addFollowUp(leadId, { kind: v.kind, note: v.note.trim(), next_at: toRFC3339(v.next_at) });
      form.resetFields();
      onDone();
    } catch (err) {
      if (!applyFieldErrors(form, err, ['kind', 'note', 'next_at'])) setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Form form={form} name="follow_up" layout="vertical" initialValues={{ kind: 'call' }} onFinish={submit}>
      <Form.Item name="kind" label={t('crm.kind')} rules={[{ required: true }]}>
        <Select options={api.FOLLOW_UP_KINDS.map((k) => ({ value: k, label: label(t, 'crm.kind', k) }))} />
      </Form.Item>
      <Form.Item name="note" label={t('crm.note')} rules={[{ required: true, whitespace: true, message: t('validation.required') }, { max: 2000 }]}>
        <Input.TextArea rows={3} maxLength={2000} />
      </Form.Item>
      <Form.Item name="next_at" label={t('crm.next_follow_up')}>
        <Input type="datetime-local" />
      </Form.Item>
      {error ? <ErrorAlert error={error} /> : null}
      <Button type="primary" htmlType="submit" loading={busy}>
        {t('crm.add_follow_up')}
      </Button>
    </Form>
  );
}

function ConvertModal({ open, lead, onClose, onDone }: { open: boolean; lead: Lead; onClose: () => void; onDone: (c: Converted) => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<api.ConvertInput>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (v: api.ConvertInput) => {
    setBusy(true);
    setError(null);
    try {
      const c = await api.convertLead(lead.id, { ...v, password: v.password ?? '' });
      form.resetFields();
      onDone(c);
    } catch (err) {
      if (!applyFieldErrors(form, err, ['company_name', 'contact_name', 'email', 'phone', 'password'])) setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open={open}
      title={t('crm.convert')}
      okText={t('crm.convert.submit')}
      cancelText={t('common.cancel')}
      confirmLoading={busy}
      onOk={() => form.submit()}
      onCancel={onClose}
      forceRender
    >
      <p>{t('crm.convert.text')}</p>
      <Form
        form={form}
        name="convert_lead"
        layout="vertical"
        onFinish={submit}
        initialValues={{ company_name: lead.company, contact_name: lead.contact_name, email: lead.email, phone: lead.phone, password: '' }}
      >
        <Form.Item name="company_name" label={t('crm.company')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
          <Input maxLength={128} />
        </Form.Item>
        <Form.Item name="contact_name" label={t('crm.contact')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
          <Input maxLength={64} />
        </Form.Item>
        <Form.Item name="email" label={t('crm.owner_email')} rules={[{ required: true, type: 'email', message: t('validation.email') }]}>
          <Input maxLength={191} />
        </Form.Item>
        <Form.Item name="phone" label={t('field.phone')} rules={[{ required: true, message: t('validation.required') }]}>
          <Input maxLength={32} />
        </Form.Item>
        <Form.Item name="password" label={t('crm.initial_password')} extra={t('crm.initial_password.hint')}>
          <Input.Password maxLength={128} autoComplete="new-password" />
        </Form.Item>
      </Form>
      {error ? <ErrorAlert error={error} /> : null}
    </Modal>
  );
}

function LostModal({ open, onClose, onSubmit }: { open: boolean; onClose: () => void; onSubmit: (reason: string) => Promise<void> }) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ reason: string }>();
  const [error, setError] = useState<unknown>(null);
  return (
    <Modal open={open} title={t('crm.lost')} okText={t('crm.save')} cancelText={t('common.cancel')} onOk={() => form.submit()} onCancel={onClose} forceRender>
      <Form
        form={form}
        name="lost_lead"
        layout="vertical"
        onFinish={async ({ reason }) => {
          try {
            await onSubmit(reason.trim());
            form.resetFields();
          } catch (err) {
            setError(err);
          }
        }}
      >
        <Form.Item name="reason" label={t('crm.lost_reason')} rules={[{ required: true, whitespace: true, message: t('validation.required') }, { max: 255 }]}>
          <Input maxLength={255} />
        </Form.Item>
      </Form>
      {error ? <ErrorAlert error={error} /> : null}
    </Modal>
  );
}
