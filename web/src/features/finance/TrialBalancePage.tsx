// The trial balance (科目余额表): opening, period and closing debits and credits of every account
// over a range of periods, parents summing their sub-accounts, with its Excel export; an account's
// detail ledger (明细账, running balance) and general ledger (总账, per period) in a drawer.
import { useCallback, useEffect, useState, type HTMLAttributes } from 'react';
import { App, Button, Card, DatePicker, Drawer, Space, Switch, Table, Tabs, Tag, Typography } from 'antd';
import { FileExcelOutlined, ReloadOutlined } from '@ant-design/icons';
import dayjs, { type Dayjs } from 'dayjs';
import { api, unwrap } from '../../api/client';
import { saveDownload } from '../../api/download';
import type { AccountDetail, AccountDetailLine, GeneralLedger, TrialBalance, TrialRow } from '../../api/types';
import { errorText } from '../../components/useCursorList';
import { useI18n } from '../../i18n';
import { formatCents } from '../../money';
import { accountName, kindName, sourceLabel } from './financeCommon';

const money = (v: number) => (v ? formatCents(v) : '');

interface Range {
  from: string;
  to: string;
}

interface DetailRow extends Partial<AccountDetailLine> {
  key: string;
  opening?: boolean;
  balance: number;
}

function AccountDetailTab({ account, range }: { account: string; range: Range }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [detail, setDetail] = useState<AccountDetail | null>(null);
  const [lines, setLines] = useState<AccountDetailLine[]>([]);
  const [loading, setLoading] = useState(false);
  const fetchPage = useCallback(
    (offset: number) => unwrap(api.GET('/api/v1/finance/reports/account-detail', { params: { query: { account, from_period: range.from, to_period: range.to, offset } } })),
    [account, range.from, range.to],
  );
  useEffect(() => {
    let live = true;
    setLoading(true);
    setDetail(null);
    setLines([]);
    fetchPage(0)
      .then((d) => {
        if (!live) return;
        setDetail(d);
        setLines(d.lines);
      })
      .catch((e) => live && message.error(errorText(e)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [fetchPage, message]);
  const more = async () => {
    if (!detail?.next_offset) return;
    setLoading(true);
    try {
      const d = await fetchPage(detail.next_offset);
      setDetail(d);
      setLines((prev) => [...prev, ...d.lines]);
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setLoading(false);
    }
  };
  const rows: DetailRow[] = detail
    ? [{ key: 'opening', opening: true, balance: detail.opening }, ...lines.map((l, i) => ({ ...l, key: `${l.entry_id}-${i}` }))]
    : [];
  return (
    <>
      <Table<DetailRow>
        size="small"
        rowKey="key"
        loading={loading}
        dataSource={rows}
        pagination={false}
        data-testid="tb-detail"
        columns={[
          { title: t('je.date'), dataIndex: 'date', width: 110, render: (v: string | undefined, r) => (r.opening ? range.from : v) },
          { title: t('je.no'), dataIndex: 'entry_id', width: 70 },
          { title: t('je.source'), key: 'source', render: (_: unknown, r) => (r.opening ? '' : `${sourceLabel(t, r.source_type ?? '')}${r.source_ref ? ` ${r.source_ref}` : ''}`) },
          { title: t('je.memo'), dataIndex: 'memo', render: (v: string | null | undefined, r) => (r.opening ? <Typography.Text strong>{t('tb.openingRow')}</Typography.Text> : (v ?? '')) },
          { title: t('je.debit'), dataIndex: 'debit', align: 'right', render: (v: number | undefined) => money(v ?? 0) },
          { title: t('je.credit'), dataIndex: 'credit', align: 'right', render: (v: number | undefined) => money(v ?? 0) },
          { title: t('tb.balance'), dataIndex: 'balance', align: 'right', render: (v: number) => formatCents(v) },
        ]}
      />
      {detail?.next_offset ? (
        <Space style={{ marginTop: 8, width: '100%', justifyContent: 'center' }}>
          <Button size="small" loading={loading} onClick={more} data-testid="tb-detail-more">
            {t('common.loadMore')}
          </Button>
        </Space>
      ) : null}
    </>
  );
}

function GeneralLedgerTab({ account, range }: { account: string; range: Range }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [ledger, setLedger] = useState<GeneralLedger | null>(null);
  useEffect(() => {
    setLedger(null);
    unwrap(api.GET('/api/v1/finance/reports/general-ledger', { params: { query: { account, from_period: range.from, to_period: range.to } } }))
      .then(setLedger)
      .catch((e) => message.error(errorText(e)));
  }, [account, range.from, range.to, message]);
  const rows = ledger ? [{ period: t('tb.openingRow'), debit: 0, credit: 0, balance: ledger.opening }, ...ledger.periods] : [];
  return (
    <Table
      size="small"
      rowKey="period"
      loading={!ledger}
      dataSource={rows}
      pagination={false}
      data-testid="tb-ledger"
      columns={[
        { title: t('je.period'), dataIndex: 'period' },
        { title: t('je.debit'), dataIndex: 'debit', align: 'right', render: money },
        { title: t('je.credit'), dataIndex: 'credit', align: 'right', render: money },
        { title: t('tb.balance'), dataIndex: 'balance', align: 'right', render: (v: number) => formatCents(v) },
      ]}
    />
  );
}

export default function TrialBalancePage() {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const [from, setFrom] = useState<Dayjs>(() => dayjs().startOf('month'));
  const [to, setTo] = useState<Dayjs>(() => dayjs().startOf('month'));
  const [range, setRange] = useState<Range>(() => ({ from: dayjs().format('YYYY-MM'), to: dayjs().format('YYYY-MM') }));
  const [data, setData] = useState<TrialBalance | null>(null);
  const [loading, setLoading] = useState(false);
  const [nonZero, setNonZero] = useState(false);
  const [exporting, setExporting] = useState(false);
  const [open, setOpen] = useState<TrialRow | null>(null);
  const load = useCallback(() => {
    setLoading(true);
    unwrap(api.GET('/api/v1/finance/reports/trial-balance', { params: { query: { from_period: range.from, to_period: range.to } } }))
      .then((d) => setData(d as TrialBalance))
      .catch((e) => {
        setData(null);
        message.error(errorText(e));
      })
      .finally(() => setLoading(false));
  }, [range.from, range.to, message]);
  useEffect(load, [load]);
  const run = () => {
    const f = from.format('YYYY-MM');
    const tt = to.format('YYYY-MM');
    if (f > tt) {
      message.error(t('tb.badRange'));
      return;
    }
    setRange({ from: f, to: tt });
  };
  const exportExcel = async () => {
    setExporting(true);
    try {
      const name = await saveDownload(
        api.GET('/api/v1/finance/reports/trial-balance', { params: { query: { from_period: range.from, to_period: range.to, format: 'xlsx' } }, parseAs: 'blob' }),
        `trial-balance_${range.from}_${range.to}.xlsx`,
      );
      message.success(t('stock.exported', { name }));
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setExporting(false);
    }
  };
  const rows = (data?.rows ?? []).filter((r) => !nonZero || r.opening_debit || r.opening_credit || r.debit || r.credit || r.closing_debit || r.closing_credit);
  const totals = data?.totals;
  return (
    <Card
      title={<Typography.Text strong>{t('menu.trialBalance')}</Typography.Text>}
      extra={
        <Space>
          {data && (
            <Tag color={data.balanced ? 'green' : 'red'} data-testid="tb-balanced">
              {data.balanced ? t('tb.balanced') : t('tb.unbalanced')}
            </Tag>
          )}
          <Button icon={<FileExcelOutlined />} loading={exporting} onClick={exportExcel} data-testid="tb-export">
            {t('tb.export')}
          </Button>
        </Space>
      }
    >
      <Space wrap style={{ marginBottom: 12 }}>
        <span>{t('tb.from')}</span>
        <DatePicker picker="month" allowClear={false} value={from} onChange={(d) => d && setFrom(d)} data-testid="tb-from" />
        <span>{t('tb.to')}</span>
        <DatePicker picker="month" allowClear={false} value={to} onChange={(d) => d && setTo(d)} data-testid="tb-to" />
        <Button type="primary" icon={<ReloadOutlined />} onClick={run} data-testid="tb-run">
          {t('common.search')}
        </Button>
        <Space size={4}>
          <Switch size="small" checked={nonZero} onChange={setNonZero} data-testid="tb-nonzero" />
          <span>{t('tb.nonZero')}</span>
        </Space>
      </Space>
      <Table<TrialRow>
        size="small"
        rowKey="code"
        loading={loading}
        dataSource={rows}
        pagination={false}
        bordered
        sticky
        data-testid="tb-table"
        onRow={(r) => ({ 'data-testid': `tb-row-${r.code}` }) as HTMLAttributes<HTMLElement>}
        columns={[
          {
            title: t('fin.code'),
            dataIndex: 'code',
            width: 110,
            render: (v: string, r) => (
              <a onClick={() => setOpen(r)} data-testid={`tb-open-${v}`} style={{ paddingLeft: r.level * 12 }}>
                {v}
              </a>
            ),
          },
          {
            title: t('fin.name'),
            key: 'name',
            render: (_: unknown, r) => (
              <span style={{ paddingLeft: r.level * 16, fontWeight: r.level === 0 ? 600 : undefined }}>
                {accountName(r, lang)}
              </span>
            ),
          },
          {
            title: t('tb.opening'),
            children: [
              { title: t('je.debit'), dataIndex: 'opening_debit', align: 'right', render: money },
              { title: t('je.credit'), dataIndex: 'opening_credit', align: 'right', render: money },
            ],
          },
          {
            title: t('tb.period'),
            children: [
              { title: t('je.debit'), dataIndex: 'debit', align: 'right', render: money },
              { title: t('je.credit'), dataIndex: 'credit', align: 'right', render: money },
            ],
          },
          {
            title: t('tb.closing'),
            children: [
              { title: t('je.debit'), dataIndex: 'closing_debit', align: 'right', render: money },
              { title: t('je.credit'), dataIndex: 'closing_credit', align: 'right', render: money },
            ],
          },
        ]}
        summary={() =>
          totals ? (
            <Table.Summary fixed>
              <Table.Summary.Row data-testid="tb-totals">
                <Table.Summary.Cell index={0} colSpan={2}>
                  <Typography.Text strong>{t('tb.total')}</Typography.Text>
                </Table.Summary.Cell>
                {(['opening_debit', 'opening_credit', 'debit', 'credit', 'closing_debit', 'closing_credit'] as const).map((k, i) => (
                  <Table.Summary.Cell key={k} index={i + 2} align="right">
                    <Typography.Text strong data-testid={`tb-total-${k}`}>
                      {formatCents(totals[k])}
                    </Typography.Text>
                  </Table.Summary.Cell>
                ))}
              </Table.Summary.Row>
            </Table.Summary>
          ) : null
        }
      />
      <Drawer
        open={open !== null}
        width={960}
        onClose={() => setOpen(null)}
        destroyOnHidden
        data-testid="tb-drawer"
        title={open ? `${open.code} ${accountName(open, lang)} · ${kindName(t, open.kind)} · ${range.from} ~ ${range.to}` : ''}
      >
        {open && (
          <Tabs
            items={[
              { key: 'detail', label: <span data-testid="tb-tab-detail">{t('tb.detail')}</span>, children: <AccountDetailTab account={open.code} range={range} /> },
              { key: 'ledger', label: <span data-testid="tb-tab-ledger">{t('tb.ledger')}</span>, children: <GeneralLedgerTab account={open.code} range={range} /> },
            ]}
          />
        )}
      </Drawer>
    </Card>
  );
}
