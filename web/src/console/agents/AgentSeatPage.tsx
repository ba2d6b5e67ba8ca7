import { App as AntApp, Button, Card, Descriptions, Empty, Input, Skeleton, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import * as api from '../../api/console';
import { ApiError } from '../../api/client';
import { formatDateTime, useI18n } from '../../i18n';
import { ErrorAlert, errorDetail, errorTitle } from '../../shared/errors';
import { PageHeader } from '../../shared/PageHeader';
import { usePageTitle } from '../../shared/usePageTitle';

/**
 * The agent's own SIP seat: FreeSWITCH learns it from waihu (mod_xml_curl
 * directory), so creating or resetting it here is all a phone needs.
 */
export function AgentSeatPage() {
  const { t, locale } = useI18n();
  const { modal, message } = AntApp.useApp();
  const [seat, setSeat] = useState<api.SipAccount | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  usePageTitle(t('nav.console.agents'), 'waihu');

  const load = useCallback((signal?: AbortSignal) => {
    setLoading(true);
    api
      .getSipAccount(signal)
      .then((s) => {
        setSeat(s);
        setError(null);
      })
      .catch((err) => {
        if (signal?.aborted) return;
        if (err instanceof ApiError && err.status === 404) setSeat(null);
        else setError(err);
      })
      .finally(() => {
        if (!signal?.aborted) setLoading(false);
      });
  }, []);

  useEffect(() => {
    const ctl = new AbortController();
    load(ctl.signal);
    return () => ctl.abort();
  }, [load]);

  const reset = async () => {
    try {
      setSeat(await api.resetSipAccount());
      message.success(t('sipseat.reset_ok'));
    } catch (err) {
      message.error(`${errorTitle(t, err)} ${errorDetail(t, err)}`.trim());
    }
  };

  const confirmReset = () =>
    modal.confirm({
      title: t('sipseat.reset.confirm'),
      content: t('sipseat.reset.text'),
      okText: t('sipseat.reset'),
      cancelText: t('common.cancel'),
      onOk: reset,
    });

  return (
    <section aria-labelledby="page-title">
      <PageHeader title={t('nav.console.agents')} />
      {error ? <ErrorAlert error={error} /> : null}
      <Card title={t('sipseat.title')}>
        {loading ? (
          <Skeleton active />
        ) : seat ? (
          <>
            <Descriptions column={1} bordered size="small">
              <Descriptions.Item label={t('sipseat.ext')}>
                <Typography.Text copyable code>
                  {seat.ext}
                </Typography.Text>
              </Descriptions.Item>
              <Descriptions.Item label={t('sipseat.password')}>
                <Input.Password value={seat.password} readOnly aria-label={t('sipseat.password')} style={{ maxWidth: 320 }} />
              </Descriptions.Item>
              <Descriptions.Item label={t('sipseat.updated_at')}>{formatDateTime(locale, seat.updated_at)}</Descriptions.Item>
            </Descriptions>
            <Typography.Paragraph type="secondary" style={{ marginTop: 16 }}>
              {t('sipseat.help')}
            </Typography.Paragraph>
            <Button danger onClick={confirmReset}>
              {t('sipseat.reset')}
            </Button>
          </>
        ) : (
          <Empty description={t('sipseat.none')}>
            <Button type="primary" onClick={reset}>
              {t('sipseat.create')}
            </Button>
          </Empty>
        )}
      </Card>
    </section>
  );
}
