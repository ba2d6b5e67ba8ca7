import { LockOutlined, MailOutlined } from '@ant-design/icons';
import { Button, Form, Input } from 'antd';
import { useState, type ReactNode } from 'react';
import { useT } from '../i18n';
import { ErrorAlert } from './errors';

interface Values {
  email: string;
  password: string;
}

/**
 * Email + password form shared by both surfaces. The server's refusal (invalid credentials,
 * locked, pending, suspended) is shown under the form, where the eye lands after submitting.
 */
export function LoginForm({
  name,
  onLogin,
  footer,
}: {
  name: string;
  onLogin: (email: string, password: string) => Promise<void>;
  footer?: ReactNode;
}) {
  const t = useT();
  const [form] = Form.useForm<Values>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (v: Values) => {
    setBusy(true);
    setError(null);
    try {
      await onLogin(v.email.trim(), v.password);
    } catch (err) {
      setError(err);
      form.setFieldValue('password', '');
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Form form={form} name={name} layout="vertical" onFinish={submit} requiredMark={false} disabled={busy}>
        <Form.Item
          name="email"
          label={t('field.email')}
          rules={[
            { required: true, message: t('validation.required') },
            { type: 'email', message: t('validation.email') },
          ]}
        >
          <Input prefix={<MailOutlined aria-hidden />} autoComplete="username" inputMode="email" autoFocus />
        </Form.Item>
        <Form.Item name="password" label={t('field.password')} rules={[{ required: true, message: t('validation.required') }]}>
          <Input.Password prefix={<LockOutlined aria-hidden />} autoComplete="current-password" />
        </Form.Item>
        <Form.Item style={{ marginBottom: 12 }}>
          <Button type="primary" htmlType="submit" block loading={busy}>
            {t('auth.login.submit')}
          </Button>
        </Form.Item>
      </Form>
      <div aria-live="assertive">{error ? <ErrorAlert error={error} /> : null}</div>
      {footer ? <div style={{ marginTop: 16 }}>{footer}</div> : null}
    </>
  );
}
