import { Alert, Button, Form, Input, Result } from 'antd';
import { useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import * as api from '../api/console';
import { useT } from '../i18n';
import { AuthLayout } from '../shared/AuthLayout';
import { applyFieldErrors, ErrorAlert } from '../shared/errors';
import { usePageTitle } from '../shared/usePageTitle';
import { normalizePhone, passwordAcceptable, phoneAcceptable } from '../shared/validation';

interface Values extends api.SignupInput {
  password_confirm: string;
}

const API_FIELDS = ['company_name', 'contact_name', 'email', 'phone', 'password'] as const;


export function SignupPage() {
  const t = useT();
  const navigate = useNavigate();
  const [form] = Form.useForm<Values>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  usePageTitle(t('auth.signup.title'), 'waihu');

  const submit = async (v: Values) => {
    setBusy(true);
    setError(null);
    try {
      const input: api.SignupInput = {
        company_name: v.company_name.trim(),
        contact_name: v.contact_name.trim(),
        email: v.email.trim(),
        phone: normalizePhone(v.phone),
        password: v.password,
      };
      await api.signup(input);
      navigate('/console/signup/done', { state: { email: input.email, company: input.company_name } });
    } catch (err) {
      if (!applyFieldErrors(form, err, API_FIELDS)) setError(err);
    } finally {
      setBusy(false);
    }
  };

  const required = { required: true, message: t('validation.required') };
  return (
    <AuthLayout mark="waihu" title={t('auth.signup.title')} wide>
      <p>{t('auth.signup.intro')}</p>
      <Form form={form} name="signup" layout="vertical" onFinish={submit} disabled={busy} scrollToFirstError>
        <Form.Item name="company_name" label={t('field.company_name')} rules={[required, { max: 128, message: t('validation.too_long') }]}>
          <Input autoComplete="organization" />
        </Form.Item>
        <Form.Item name="contact_name" label={t('field.contact_name')} rules={[required, { max: 64, message: t('validation.too_long') }]}>
          <Input autoComplete="name" />
        </Form.Item>
        <Form.Item name="email" label={t('field.email')} rules={[required, { type: 'email', message: t('validation.email') }]}>
          <Input autoComplete="email" inputMode="email" />
        </Form.Item>
        <Form.Item
          name="phone"
          label={t('field.phone')}
          extra={t('auth.signup.phone_hint')}
          rules={[
            required,
            {
              validator: (_, v: string | undefined) =>
                !v || phoneAcceptable(v) ? Promise.resolve() : Promise.reject(new Error(t('validation.phone'))),
            },
          ]}
        >
          <Input autoComplete="tel" inputMode="tel" />
        </Form.Item>
        <Form.Item
          name="password"
          label={t('field.password')}
          extra={t('validation.password_rule')}
          rules={[
            required,
            {
              validator: (_, v: string | undefined) =>
                !v || passwordAcceptable(v) ? Promise.resolve() : Promise.reject(new Error(t('validation.password_rule'))),
            },
          ]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item
          name="password_confirm"
          label={t('field.password_confirm')}
          dependencies={['password']}
          rules={[
            required,
            ({ getFieldValue }) => ({
              validator: (_, v: string | undefined) =>
                !v || v === getFieldValue('password') ? Promise.resolve() : Promise.reject(new Error(t('validation.password_mismatch'))),
            }),
          ]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item style={{ marginBottom: 12 }}>
          <Button type="primary" htmlType="submit" block loading={busy}>
            {t('auth.signup.submit')}
          </Button>
        </Form.Item>
      </Form>
      <div aria-live="assertive">{error ? <ErrorAlert error={error} /> : null}</div>
      <p style={{ marginTop: 16, marginBottom: 0 }}>
        {t('auth.signup.have_account')} <Link to="/console/login">{t('auth.login.link')}</Link>
      </p>
    </AuthLayout>
  );
}

export function SignupDonePage() {
  const t = useT();
  const location = useLocation();
  const navigate = useNavigate();
  const state = (location.state ?? {}) as { email?: string; company?: string };
  usePageTitle(t('auth.signup.done.title'), 'waihu');
  return (
    <AuthLayout mark="waihu" title={t('auth.signup.done.title')} wide>
      <Result
        status="success"
        title={<span data-testid="signup-pending">{t('auth.signup.done.heading')}</span>}
        subTitle={
          state.company
            ? t('auth.signup.done.text_company', { company: state.company, email: state.email ?? '' })
            : t('auth.signup.done.text')
        }
        extra={
          <Button type="primary" onClick={() => navigate('/console/login')}>
            {t('auth.login.link')}
          </Button>
        }
      />
      <Alert type="info" showIcon title={t('auth.signup.done.next')} />
    </AuthLayout>
  );
}
