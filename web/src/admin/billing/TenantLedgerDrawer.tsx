import { Button, Descriptions, Drawer, Input, Select, Space, Table } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useEffect, useState } from 'react';
import * as api from '../../api/billing';
import type { Id } from '../../api/types';
import { formatDateTime, useI18n, type MessageKey } from '../../i18n';
import { ErrorAlert } from '../../shared/errors';
import { useCursorList } from '../../shared/useCursorList';

const KINDS = ['charge', 'correction', 'recharge', 'gift', 'adjustment', 'collect'];

/**
 * One tenant's ledger for the operator: filters (days, type, campaign), each line's balance
 * after and the running total of the selected lines, the selection's totals, paging, and the
 * same selection as an XLSX download whose figures are the ledger's.
 */
export function TenantLedgerDrawer({ tenant, onClose }: { tenant: { id: Id; name: string } | null; onClose: () => void }) {
  const { t, locale } = useI18n();
  const [q, setQ] = useState<api.LedgerQuery>({ kind: '', from: '', to: '', campaign_id: '' });
  const tid = tenant?.id ?? 0;
  const list = useCursorList((p, s) => (tid ? api.adminLedger(tid, p, s) : Promise.resolve({ items: [], next_cursor: '' })), { ...q, tid: String(tid) });
  const [totals, setTotals] = useState<api.LedgerTotals | null>(null);
  const [totalsError, setTotalsError] = useState<unknown>(null);
  const key = JSON.stringify(q);
  useEffect(() => {
    if (!tid) return;
    const ctl = new AbortController();
    setTotals(null);
    setTotalsError(null);
    api.adminLedgerSummary(tid, q, ctl.signal).then(setTotals, (err: unknown) => {
      if (!ctl.signal.aborted) setTotalsError(err);
    });
    return () => ctl.abort();
  }, [tid, key]);
  const set = (k: keyof api.LedgerQuery) => (v: string) => setQ((old) => ({ ...old, [k]: v }));
  const money = (fen: number) => <span style={{ color: fen < 0 ? '#cf1322' : undefined }}>{api.yuan(fen)}</span>;
  const columns: ColumnsType<api.LedgerRow> = [
    { title: t('billing.ledger.at'), key: 'at', render: (_, r) => formatDateTime(locale, r.at) },
    { title: t('billing.ledger.kind'), key: 'kind', render: (_, r) => t(`billing.kind.${r.kind}` as MessageKey) },
    { title: t('billing.admin.ledger.campaign'), key: 'campaign', render: (_, r) => (Number(r.campaign_id) ? String(r.campaign_id) : '—') },
    { title: t('billing.amount'), key: 'amount', align: 'right', render: (_, r) => money(r.amount_fen) },
    { title: t('billing.ledger.after'), key: 'after', align: 'right', render: (_, r) => (r.account === 'balance' ? api.yuan(r.balance_after_fen) : t('billing.ledger.arrears_account')) },
    { title: t('billing.admin.ledger.running'), key: 'running', align: 'right', render: (_, r) => money(r.running_fen) },
    { title: t('billing.ledger.memo'), dataIndex: 'memo', key: 'memo' },
  ];
  return (
    <Drawer open={tenant !== null} onClose={onClose} width={1000} title={t('billing.admin.ledger.title', { name: tenant?.name ?? '' })} destroyOnClose>
      <Space wrap style={{ marginBottom: 16 }}>
        <Select
          aria-label={t('billing.ledger.kind')}
          style={{ minWidth: 160 }}
          value={q.kind}
          onChange={set('kind')}
          options={[{ value: '', label: t('billing.ledger.all_kinds') }, ...KINDS.map((k) => ({ value: k, label: t(`billing.kind.${k}` as MessageKey) }))]}
        />
        <Input type="date" aria-label={t('billing.from')} value={q.from} onChange={(e) => set('from')(e.target.value)} />
        <Input type="date" aria-label={t('billing.to')} value={q.to} onChange={(e) => set('to')(e.target.value)} />
        <Input
          aria-label={t('billing.admin.ledger.campaign')}
          placeholder={t('billing.admin.ledger.campaign')}
          inputMode="numeric"
          style={{ width: 120 }}
          value={q.campaign_id}
          onChange={(e) => set('campaign_id')(e.target.value.replace(/\D/g, ''))}
        />
        <Button href={tid ? api.adminLedgerXlsxURL(tid, q) : undefined} download data-testid="ledger-xlsx">
          {t('billing.admin.ledger.download')}
        </Button>
      </Space>
      {totalsError ? <ErrorAlert error={totalsError} /> : null}
      {totals ? (
        <Descriptions size="small" column={4} style={{ marginBottom: 16 }} data-testid="ledger-totals">
          <Descriptions.Item label={t('billing.admin.ledger.lines')}>{totals.lines}</Descriptions.Item>
          <Descriptions.Item label={t('billing.admin.ledger.credits')}>{api.yuan(totals.credit_fen)}</Descriptions.Item>
          <Descriptions.Item label={t('billing.admin.ledger.debits')}>{api.yuan(totals.debit_fen)}</Descriptions.Item>
          <Descriptions.Item label={t('billing.admin.ledger.net')}>
            <span data-testid="ledger-net" style={{ color: totals.net_fen < 0 ? '#cf1322' : undefined }}>
              {api.yuan(totals.net_fen)}
            </span>
          </Descriptions.Item>
        </Descriptions>
      ) : null}
      {list.error ? <ErrorAlert error={list.error} /> : null}
      <Table rowKey="id" size="small" columns={columns} dataSource={list.items} loading={list.loading} pagination={false} data-testid="admin-ledger-table" />
      {list.hasMore ? <Button onClick={list.loadMore}>{t('common.load_more')}</Button> : null}
    </Drawer>
  );
}
