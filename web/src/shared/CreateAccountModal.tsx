import { Form, Input, Modal, Select } from 'antd';
import { useState } from 'react';
import { useT } from '../i18n';
import { applyFieldErrors, ErrorAlert } from './errors';
import { passwordAcceptable } from './validation';

export interface AccountInput {
  email: string;
  name: string;
  role: string;
  password: string;
}

type Values = AccountInput & { password_confirm: string };

/** Creating a tenant sub-account and an operator staff account is the same form with other roles. */
export function CreateAccountModal({
  open,
  title,
  formName,
  roles,
  defaultRole,
  create,
  onClose,
  onCreated,
}: {
  open: boolean;
  title: string;
  formName: string;
  roles: { value: string; label: string }[];
  defaultRole: string;
  create: (input: AccountInput) => Promise<unknown>;
  onClose: () => void;
  onCreated: () => void;
}) {
  const t = useT();
  const [form] = Form.useForm<Values>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const required = { required: true, message: t('validation.required') };

  const submit = async (v: Values) => {
    setBusy(true);
    setError(null);
    try {
      await create({ email: v.email.trim(), name: v.name.trim(), role: v.role, password: v.password });
      form.resetFields();
      onCreated();
    } catch (err) {
      if (!applyFieldErrors(form, err, ['email', 'name', 'role', 'password'])) setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open={open}
      title={title}
      okText={t('common.create')}
      cancelText={t('common.cancel')}
      confirmLoading={busy}
      onOk={() => form.submit()}
      onCancel={() => {
        form.resetFields();
        setError(null);
        onClose();
      }}
      forceRender
    >
      <Form form={form} name={formName} layout="vertical" onFinish={submit} initialValues={{ role: defaultRole }}>
        <Form.Item name="name" label={t('field.name')} rules={[required, { max: 64, message: t('validation.too_long') }]}>
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item name="email" label={t('field.email')} rules={[required, { type: 'email', message: t('validation.email') }]}>
          <Input autoComplete="off" inputMode="email" />
        </Form.Item>
        <Form.Item name="role" label={t('user.role')} rules={[required]}>
          <Select options={roles} />
        </Form.Item>
        <Form.Item
          name="password"
          label={t('field.initial_password')}
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
      </Form>
      {error ? <ErrorAlert error={error} /> : null}
    </Modal>
  );
}
