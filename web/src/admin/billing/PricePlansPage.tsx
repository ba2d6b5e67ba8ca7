import { App as AntApp, Button, Card, Checkbox, Form, Input, InputNumber, Modal, Select, Table, Tag } from 'antd';
import { useEffect, useState } from 'react';
import * as api from '../../api/billing';
import { useI18n, type MessageKey } from '../../i18n';
import { applyFieldErrors, ErrorAlert } from '../../shared/errors';
import { PageHeader } from '../../shared/PageHeader';
import { usePageTitle } from '../../shared/usePageTitle';

const FEN_FIELDS = ['per_minute_fen', 'min_charge_fen', 'per_call_fen', 'asr_per_minute_fen', 'tts_per_1k_chars_fen', 'llm_per_1k_tokens_fen'] as const;
const ALL_FIELDS = ['name', 'description', 'increment_sec', 'free_sec', ...FEN_FIELDS];

export function PricePlansPage() {
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const [plans, setPlans] = useState<api.PricePlan[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState<api.PricePlan | 'new' | null>(null);
  const [gen, setGen] = useState(0);
  const [form] = Form.useForm<api.PlanInput>();
  usePageTitle(t('nav.admin.priceplans'), t('shell.admin_title'));

  useEffect(() => {
    const ctl = new AbortController();
    api.plans(ctl.signal).then(
      (r) => setPlans(r.items),
      (err: unknown) => {
        if (!ctl.signal.aborted) setError(err);
      },
    );
    return () => ctl.abort();
  }, [gen]);

  const open = (p: api.PricePlan | 'new') => {
    setEditing(p);
    form.setFieldsValue(
      p === 'new'
        ? { name: '', description: '', per_minute_fen: 10, increment_sec: 60, free_sec: 0, min_charge_fen: 0, per_call_fen: 0, asr_per_minute_fen: 0, tts_per_1k_chars_fen: 0, llm_per_1k_tokens_fen: 0, is_default: false, active: true }
        : p,
    );
  };

  const save = async () => {
    const v = await form.validateFields();
    try {
      await api.savePlan({ ...v, description: v.description ?? '' }, editing === 'new' || !editing ? undefined : editing.id);
      message.success(t('billing.plan.saved'));
      setEditing(null);
      setGen((g) => g + 1);
    } catch (err) {
      if (!applyFieldErrors(form, err, ALL_FIELDS)) setError(err);
    }
  };

  return (
    <section aria-labelledby="page-title">
      <PageHeader
        title={t('nav.admin.priceplans')}
        extra={
          <Button type="primary" onClick={() => open('new')}>
            {t('billing.plan.new')}
          </Button>
        }
      />
      {error ? <ErrorAlert error={error} /> : null}
      <Card>
        <Table
          rowKey="id"
          loading={plans === null && !error}
          dataSource={plans ?? []}
          pagination={false}
          columns={[
            { title: t('billing.plan.name'), key: 'name', render: (_, p) => <>{p.name} {p.is_default ? <Tag color="blue">{t('billing.plan.default')}</Tag> : null}{!p.active ? <Tag>{t('billing.plan.inactive')}</Tag> : null}</> },
            { title: t('billing.plan.per_minute'), key: 'pm', render: (_, p) => `¥${api.yuan(p.per_minute_fen)}` },
            { title: t('billing.plan.increment'), key: 'inc', render: (_, p) => `${p.increment_sec}s` },
            { title: t('billing.plan.free_sec'), dataIndex: 'free_sec', key: 'free' },
            { title: t('billing.plan.min_charge'), key: 'min', render: (_, p) => `¥${api.yuan(p.min_charge_fen)}` },
            { title: t('billing.plan.per_call'), key: 'pc', render: (_, p) => `¥${api.yuan(p.per_call_fen)}` },
            { title: t('common.actions'), key: 'a', render: (_, p) => <Button size="small" onClick={() => open(p)}>{t('billing.plan.edit')}</Button> },
          ]}
        />
      </Card>
      <Modal open={editing !== null} title={editing === 'new' ? t('billing.plan.new') : t('billing.plan.edit')} onOk={save} onCancel={() => setEditing(null)} okText={t('billing.save')} cancelText={t('common.cancel')}>
        <Form form={form} layout="vertical">
          <Form.Item name="name" label={t('billing.plan.name')} rules={[{ required: true }]}>
            <Input maxLength={64} />
          </Form.Item>
          <Form.Item name="description" label={t('billing.plan.description')}>
            <Input maxLength={255} />
          </Form.Item>
          <Form.Item name="increment_sec" label={t('billing.plan.increment')}>
            <Select options={[{ value: 6, label: '6s' }, { value: 60, label: '60s' }]} />
          </Form.Item>
          <Form.Item name="free_sec" label={t('billing.plan.free_sec')}>
            <InputNumber min={0} max={600} />
          </Form.Item>
          {FEN_FIELDS.map((f) => (
            <Form.Item key={f} name={f} label={t(`billing.plan.${f}` as MessageKey)}>
              <InputNumber min={0} max={100000} addonAfter={t('billing.fen')} />
            </Form.Item>
          ))}
          <Form.Item name="is_default" valuePropName="checked">
            <Checkbox>{t('billing.plan.default')}</Checkbox>
          </Form.Item>
          <Form.Item name="active" valuePropName="checked">
            <Checkbox>{t('billing.plan.active')}</Checkbox>
          </Form.Item>
        </Form>
      </Modal>
    </section>
  );
}
