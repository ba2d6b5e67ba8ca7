import { Alert } from 'antd';
import type { FormInstance } from 'antd';
import { ApiError, NETWORK_ERROR } from '../api/client';
import { isMessageKey, useT, type TFunction } from '../i18n';

/** A short, localized headline for an error: ours by code, since server texts vary. */
export function errorTitle(t: TFunction, err: unknown): string {
  if (err instanceof ApiError) {
    const key = `error.${err.code}`;
    if (isMessageKey(key)) return t(key);
  }
  return t('error.generic');
}

/** The server's own message (already in the request locale) plus what the headers add. */
export function errorDetail(t: TFunction, err: unknown): string {
  if (!(err instanceof ApiError)) return err instanceof Error ? err.message : '';
  const parts: string[] = [];
  if (err.message && err.message !== errorTitle(t, err)) parts.push(err.message);
  if (err.retryAfter !== undefined && (err.code === 'account_locked' || err.code === 'rate_limited')) {
    parts.push(
      err.retryAfter >= 60
        ? t('error.retry_after_minutes', { minutes: Math.ceil(err.retryAfter / 60) })
        : t('error.retry_after_seconds', { seconds: err.retryAfter }),
    );
  }
  if (err.code === NETWORK_ERROR) parts.push(t('error.network_hint'));
  if (err.requestId && err.status >= 500) parts.push(t('error.request_id', { id: err.requestId }));
  return parts.join(' ');
}

export function ErrorAlert({ error, className }: { error: unknown; className?: string }) {
  const t = useT();
  if (!error) return null;
  const code = error instanceof ApiError ? error.code : 'unknown';
  const detail = errorDetail(t, error);
  return (
    <Alert
      className={className}
      type="error"
      showIcon
      role="alert"
      data-testid="error-alert"
      data-error-code={code}
      title={errorTitle(t, error)}
      description={detail || undefined}
    />
  );
}

/**
 * Puts a validation_failed/conflict response's `fields` on the matching form fields. Returns
 * true when every reason found a field, so the caller can skip the general alert.
 */
export function applyFieldErrors(form: FormInstance, err: unknown, known: readonly string[]): boolean {
  if (!(err instanceof ApiError)) return false;
  const entries = Object.entries(err.fields);
  if (entries.length === 0) return false;
  const onForm = entries.filter(([name]) => known.includes(name));
  form.setFields(onForm.map(([name, reason]) => ({ name, errors: [reason] })));
  return onForm.length === entries.length;
}
