// Profit analysis (利润分析): profit of shipped orders by SKU, channel, customer, campaign tag,
// period or order, with filters, server-side sorting and paging, a total row, a chart, an Excel
// export, each order's waterfall (revenue → … → profit) in a drawer, and the channels' fee rates
// the commission / payment-fee / distributor estimates use.
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Dayjs } from 'dayjs';
import { Alert, App, Button, Card, DatePicker, Descriptions, Drawer, InputNumber, Modal, Select, Space, Table, Tabs, Tag, Typography } from 'antd';
import type { TableProps } from 'antd';
import type { SortOrder } from 'antd/es/table/interface';
import { DownloadOutlined, PercentageOutlined, ReloadOutlined } from '@ant-design/icons';
import { api, unwrap } from '../../api/client';
import { saveDownload } from '../../api/download';
import type { ChannelRate, OrderProfit, ProfitReport, ProfitRow } from '../../api/types';
import Chart, { type ChartOption } from '../../components/Chart';
import { errorText } from '../../components/useCursorList';
import { useWarehouses } from '../../components/useWarehouses';
import { useI18n, type MsgKey } from '../../i18n';
import { formatCents, formatQty } from '../../money';

type Dimension = 'sku' | 'channel' | 'customer' | 'tag' | 'period' | 'order';
type Amount = keyof ProfitRow['amounts'];
type SortKey = 'orders' | 'qty' | Amount | 'profit' | 'margin' | 'key';
const DIMENSIONS: Dimension[] = ['sku', 'channel', 'customer', 'tag', 'period', 'order'];
const AMOUNTS: { key: Amount; label: MsgKey; estimated?: boolean }[] = [
  { key: 'revenue', label: 'profit.revenue' },
  { key: 'shipping_income', label: 'profit.shippingIncome' },
  { key: 'cogs', label: 'profit.cogs' },
  { key: 'commission', label: 'profit.commission', estimated: true },
  { key: 'payment_fee', label: 'profit.paymentFee', estimated: true },
  { key: 'shipping_cost', label: 'profit.shippingCost' },
  { key: 'promotion', label: 'profit.promotion' },
  { key: 'distributor_commission', label: 'profit.distributor', estimated: true },
];
const PAGE = 50;

/** Basis points as a percentage with two decimals (2150 → 21.50%). */
export const pct = (bp: number | null | undefined) => (bp === null || bp === undefined ? '-' : `${(bp / 100).toFixed(2)}%`);
const yuan = (cents: number) => Number((cents / 100).toFixed(2));

type Query = {
  dimension: Dimension;
  granularity: 'day' | 'month';
  date_from?: string;
  date_to?: string;
  channel?: string;
  warehouse?: string;
  sort: SortKey;
  descending: boolean;
  offset: number;
  limit: number;
};

function Waterfall({ order }: { order: OrderProfit }) {
  const { t, lang } = useI18n();
  const option = useMemo<ChartOption>(() => {
    const steps = order.waterfall;
    const names = [...steps.map((s) => (lang === 'zh-CN' ? s.zh : s.en)), t('profit.profit')];
    const base: (number | string)[] = [];
    const up: (number | string)[] = [];
    const down: (number | string)[] = [];
    steps.forEach((s) => {
      const before = s.running - s.amount;
      base.push(yuan(Math.min(before, s.running)));
      up.push(s.amount >= 0 ? yuan(s.amount) : '-');
      down.push(s.amount < 0 ? yuan(-s.amount) : '-');
    });
    base.push(0);
    up.push(order.profit >= 0 ? yuan(order.profit) : '-');
    down.push(order.profit < 0 ? yuan(-order.profit) : '-');
    return {
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      grid: { left: 60, right: 20, top: 20, bottom: 80 },
      xAxis: { type: 'category', data: names, axisLabel: { interval: 0, rotate: 30 } },
      yAxis: { type: 'value' },
      series: [
        { type: 'bar', stack: 'w', data: base, itemStyle: { color: 'transparent' }, tooltip: { show: false } },
        { type: 'bar', stack: 'w', name: t('profit.increase'), data: up, itemStyle: { color: '#52c41a' } },
        { type: 'bar', stack: 'w', name: t('profit.decrease'), data: down, itemStyle: { color: '#ff4d4f' } },
      ],
    };
  }, [order, t, lang]);
  return <Chart option={option} height={300} testId="profit-waterfall" />;
}

function OrderDrawer({ ref_, onClose }: { ref_: string | null; onClose: () => void }) {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const [order, setOrder] = useState<OrderProfit | null>(null);
  useEffect(() => {
    setOrder(null);
    if (!ref_) return;
    unwrap(api.GET('/api/v1/finance/profit/orders/{ref}', { params: { path: { ref: ref_ } } }))
      .then(setOrder)
      .catch((e) => message.error(errorText(e)));
  }, [ref_, message]);
  return (
    <Drawer open={!!ref_} onClose={onClose} width={760} title={`${t('profit.orderProfit')} ${ref_ ?? ''}`} destroyOnHidden>
      {order && (
        <div data-testid="profit-order-drawer">
          <Descriptions size="small" column={3} bordered>
            <Descriptions.Item label={t('profit.day')}>{order.day}</Descriptions.Item>
            <Descriptions.Item label={t('profit.dim.channel')}>{order.channel_name ?? order.channel}</Descriptions.Item>
            <Descriptions.Item label={t('profit.dim.customer')}>{order.customer}</Descriptions.Item>
            <Descriptions.Item label={t('profit.discount')}>{formatCents(order.discount)}</Descriptions.Item>
            <Descriptions.Item label={t('profit.returned')}>{formatCents(order.returned_revenue)}</Descriptions.Item>
            <Descriptions.Item label={t('profit.dim.tag')}>{order.tags.map((g) => <Tag key={g}>{g}</Tag>)}</Descriptions.Item>
            <Descriptions.Item label={t('profit.profit')}>
              <Typography.Text strong type={order.profit < 0 ? 'danger' : undefined} data-testid="profit-order-profit">
                {formatCents(order.profit)}
              </Typography.Text>
            </Descriptions.Item>
            <Descriptions.Item label={t('profit.margin')}>{pct(order.margin_bp)}</Descriptions.Item>
            <Descriptions.Item label={t('profit.ratesUsed')}>
              {`${t('profit.commission')} ${pct(order.rates.commission_bp)} · ${t('profit.paymentFee')} ${pct(order.rates.payment_fee_bp)}`}
              {order.rates.distributor_bp ? ` · ${t('profit.distributor')} ${pct(order.rates.distributor_bp)}` : ''}
            </Descriptions.Item>
          </Descriptions>
          <Waterfall order={order} />
          <Table
            size="small"
            rowKey="key"
            pagination={false}
            dataSource={order.waterfall}
            columns={[
              { title: t('profit.step'), render: (_, s) => (lang === 'zh-CN' ? s.zh : s.en) },
              { title: t('profit.amount'), align: 'right', render: (_, s) => formatCents(s.amount) },
              { title: t('profit.running'), align: 'right', render: (_, s) => formatCents(s.running) },
            ]}
          />
          <Typography.Title level={5} style={{ marginTop: 16 }}>
            {t('profit.lines')}
          </Typography.Title>
          <Table
            size="small"
            rowKey="line_no"
            pagination={false}
            dataSource={order.lines}
            scroll={{ x: true }}
            columns={[
              { title: 'SKU', dataIndex: 'sku' },
              { title: t('profit.name'), dataIndex: 'sku_name' },
              { title: t('profit.qty'), align: 'right', render: (_, l) => `${l.qty}${l.returned_qty ? ` (−${l.returned_qty})` : ''}` },
              { title: t('profit.revenue'), align: 'right', render: (_, l) => formatCents(l.amounts.revenue) },
              { title: t('profit.cogs'), align: 'right', render: (_, l) => formatCents(l.amounts.cogs) },
              { title: t('profit.profit'), align: 'right', render: (_, l) => formatCents(l.profit) },
            ]}
          />
        </div>
      )}
    </Drawer>
  );
}

function RatesModal({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [rates, setRates] = useState<ChannelRate[]>([]);
  const [edits, setEdits] = useState<Record<string, Partial<Record<'commission_bp' | 'payment_fee_bp' | 'distributor_bp', number>>>>({});
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    if (!open) return;
    setEdits({});
    unwrap(api.GET('/api/v1/finance/profit/rates')).then(setRates).catch((e) => message.error(errorText(e)));
  }, [open, message]);
  const save = async () => {
    setSaving(true);
    try {
      for (const [channel, e] of Object.entries(edits)) {
        const r = rates.find((x) => x.channel === channel)!;
        await unwrap(
          api.PUT('/api/v1/finance/profit/rates/{channel}', {
            params: { path: { channel } },
            body: {
              commission_bp: e.commission_bp ?? r.commission_bp,
              payment_fee_bp: e.payment_fee_bp ?? r.payment_fee_bp,
              distributor_bp: e.distributor_bp ?? r.distributor_bp,
            },
          }),
        );
      }
      message.success(t('profit.ratesSaved'));
      onClose();
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setSaving(false);
    }
  };
  const input = (r: ChannelRate, field: 'commission_bp' | 'payment_fee_bp' | 'distributor_bp') => (
    <InputNumber
      size="small"
      min={0}
      max={100}
      precision={2}
      step={0.1}
      addonAfter="%"
      style={{ width: 120 }}
      disabled={field === 'distributor_bp' && r.kind !== 'distributor'}
      data-testid={`rate-${r.channel}-${field}`}
      value={(edits[r.channel]?.[field] ?? r[field]) / 100}
      onChange={(v) => setEdits((m) => ({ ...m, [r.channel]: { ...m[r.channel], [field]: Math.round((v ?? 0) * 100) } }))}
    />
  );
  return (
    <Modal open={open} onCancel={onClose} onOk={save} confirmLoading={saving} width={760} title={t('profit.rates')} okText={t('profit.save')}>
      <Typography.Paragraph type="secondary">{t('profit.ratesHelp')}</Typography.Paragraph>
      <Table
        size="small"
        rowKey="channel"
        pagination={false}
        dataSource={rates}
        columns={[
          { title: t('profit.dim.channel'), render: (_, r) => `${r.channel_name} (${r.channel})` },
          { title: t('profit.commission'), render: (_, r) => input(r, 'commission_bp') },
          { title: t('profit.paymentFee'), render: (_, r) => input(r, 'payment_fee_bp') },
          { title: t('profit.distributor'), render: (_, r) => input(r, 'distributor_bp') },
        ]}
      />
    </Modal>
  );
}

export default function ProfitPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const warehouses = useWarehouses();
  const [channels, setChannels] = useState<ChannelRate[]>([]);
  const [q, setQ] = useState<Query>({ dimension: 'sku', granularity: 'month', sort: 'profit', descending: true, offset: 0, limit: PAGE });
  const [range, setRange] = useState<[Dayjs | null, Dayjs | null] | null>(null);
  const [data, setData] = useState<ProfitReport | null>(null);
  const [loading, setLoading] = useState(false);
  const [orderRef, setOrderRef] = useState<string | null>(null);
  const [ratesOpen, setRatesOpen] = useState(false);
  const [exporting, setExporting] = useState(false);

  useEffect(() => {
    unwrap(api.GET('/api/v1/finance/profit/rates')).then(setChannels).catch(() => setChannels([]));
  }, []);
  const load = useCallback(() => {
    setLoading(true);
    unwrap(api.GET('/api/v1/finance/profit/report', { params: { query: q } }))
      .then(setData)
      .catch((e) => message.error(errorText(e)))
      .finally(() => setLoading(false));
  }, [q, message]);
  useEffect(load, [load]);

  const set = (patch: Partial<Query>) => setQ((old) => ({ ...old, offset: 0, ...patch }));
  const exportXlsx = async () => {
    setExporting(true);
    try {
      const { offset: _o, limit: _l, ...query } = q;
      const call = api.GET('/api/v1/finance/profit/report/export', { params: { query }, parseAs: 'blob' });
      const name = await saveDownload(call as Promise<{ data?: Blob; response: Response }>, 'profit.xlsx');
      message.success(t('profit.exported', { name }));
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setExporting(false);
    }
  };

  const keyTitle = t(`profit.dim.${q.dimension}` as MsgKey);
  const sortOrder = (field: SortKey): SortOrder => (q.sort === field ? (q.descending ? 'descend' : 'ascend') : null);
  const columns: TableProps<ProfitRow>['columns'] = [
    {
      title: keyTitle,
      key: 'key',
      fixed: 'left',
      sorter: true,
      sortOrder: sortOrder('key'),
      render: (_, r) =>
        q.dimension === 'order' ? (
          <a onClick={() => setOrderRef(r.key)} data-testid={`profit-order-${r.key}`}>
            {r.key}
          </a>
        ) : (
          r.key
        ),
    },
    ...(['sku', 'channel', 'customer', 'order'].includes(q.dimension) ? [{ title: t('profit.name'), key: 'name', render: (_: unknown, r: ProfitRow) => r.name ?? '-' }] : []),
    ...(q.dimension === 'order' ? [{ title: t('profit.day'), key: 'day', render: (_: unknown, r: ProfitRow) => r.day }] : []),
    ...(q.dimension !== 'order' ? [{ title: t('profit.orders'), key: 'orders', align: 'right' as const, sorter: true, sortOrder: sortOrder('orders'), render: (_: unknown, r: ProfitRow) => formatQty(r.orders) }] : []),
    ...(q.dimension === 'sku' ? [{ title: t('profit.qty'), key: 'qty', align: 'right' as const, sorter: true, sortOrder: sortOrder('qty'), render: (_: unknown, r: ProfitRow) => formatQty(r.qty) }] : []),
    ...AMOUNTS.map((a) => ({
      title: a.estimated ? `${t(a.label)}*` : t(a.label),
      key: a.key,
      align: 'right' as const,
      sorter: true,
      sortOrder: sortOrder(a.key),
      render: (_: unknown, r: ProfitRow) => formatCents(r.amounts[a.key]),
    })),
    {
      title: t('profit.profit'),
      key: 'profit',
      align: 'right',
      fixed: 'right',
      sorter: true,
      sortOrder: sortOrder('profit'),
      render: (_, r) => <Typography.Text type={r.profit < 0 ? 'danger' : undefined}>{formatCents(r.profit)}</Typography.Text>,
    },
    { title: t('profit.margin'), key: 'margin', align: 'right', fixed: 'right', sorter: true, sortOrder: sortOrder('margin'), render: (_, r) => pct(r.margin_bp) },
  ];

  const chart = useMemo<ChartOption | null>(() => {
    if (!data || data.items.length === 0 || q.dimension === 'order') return null;
    const rows = q.dimension === 'period' ? [...data.items].sort((a, b) => a.key.localeCompare(b.key)) : data.items.slice(0, 15);
    const names = rows.map((r) => (q.dimension === 'sku' || q.dimension === 'customer') && r.name ? `${r.name}` : r.key);
    const type = q.dimension === 'period' ? 'line' : 'bar';
    return {
      tooltip: { trigger: 'axis' },
      legend: { data: [t('profit.revenue'), t('profit.profit')] },
      grid: { left: 70, right: 20, top: 30, bottom: 60 },
      xAxis: { type: 'category', data: names, axisLabel: { interval: 0, rotate: names.length > 6 ? 30 : 0, width: 90, overflow: 'truncate' } },
      yAxis: { type: 'value' },
      series: [
        { type, name: t('profit.revenue'), data: rows.map((r) => yuan(r.amounts.revenue)) },
        { type, name: t('profit.profit'), data: rows.map((r) => yuan(r.profit)) },
      ],
    };
  }, [data, q.dimension, t]);

  const total = data?.total;
  return (
    <Card
      title={t('profit.title')}
      extra={
        <Space>
          <Button icon={<PercentageOutlined />} onClick={() => setRatesOpen(true)} data-testid="profit-rates">
            {t('profit.rates')}
          </Button>
          <Button icon={<DownloadOutlined />} loading={exporting} onClick={exportXlsx} data-testid="profit-export">
            {t('profit.export')}
          </Button>
          <Button icon={<ReloadOutlined />} onClick={load} />
        </Space>
      }
    >
      <Tabs
        activeKey={q.dimension}
        onChange={(k) => set({ dimension: k as Dimension, sort: 'profit', descending: true })}
        items={DIMENSIONS.map((d) => ({ key: d, label: <span data-testid={`profit-tab-${d}`}>{t(`profit.dim.${d}` as MsgKey)}</span> }))}
      />
      <Space wrap style={{ marginBottom: 12 }}>
        <DatePicker.RangePicker
          allowEmpty={[true, true]}
          value={range}
          onChange={(v) => {
            setRange(v as [Dayjs | null, Dayjs | null] | null);
            set({ date_from: v?.[0]?.format('YYYY-MM-DD'), date_to: v?.[1]?.format('YYYY-MM-DD') });
          }}
        />
        <Select
          allowClear
          showSearch
          optionFilterProp="label"
          placeholder={t('profit.allChannels')}
          style={{ width: 200 }}
          value={q.channel}
          onChange={(v) => set({ channel: v })}
          options={channels.map((c) => ({ value: c.channel, label: `${c.channel_name} (${c.channel})` }))}
          data-testid="profit-channel"
        />
        <Select
          allowClear
          placeholder={t('profit.allWarehouses')}
          style={{ width: 160 }}
          value={q.warehouse}
          onChange={(v) => set({ warehouse: v })}
          options={warehouses.map((w) => ({ value: w.code, label: w.name }))}
        />
        {q.dimension === 'period' && (
          <Select
            style={{ width: 100 }}
            value={q.granularity}
            onChange={(v) => set({ granularity: v })}
            options={[
              { value: 'month', label: t('profit.byMonth') },
              { value: 'day', label: t('profit.byDay') },
            ]}
            data-testid="profit-granularity"
          />
        )}
      </Space>
      {data?.fees_estimated && <Alert type="info" showIcon style={{ marginBottom: 12 }} message={t('profit.estimatedNote')} />}
      {total && (
        <Space size="large" style={{ marginBottom: 12 }} data-testid="profit-summary">
          <span>{`${t('profit.revenue')} ${formatCents(total.amounts.revenue)}`}</span>
          <span>{`${t('profit.cogs')} ${formatCents(total.amounts.cogs)}`}</span>
          <Typography.Text strong type={total.profit < 0 ? 'danger' : undefined}>{`${t('profit.profit')} ${formatCents(total.profit)}`}</Typography.Text>
          <span>{`${t('profit.margin')} ${pct(total.margin_bp)}`}</span>
        </Space>
      )}
      {chart && <Chart option={chart} height={260} testId="profit-chart" />}
      <Table<ProfitRow>
        size="small"
        rowKey="key"
        loading={loading}
        dataSource={data?.items ?? []}
        columns={columns}
        scroll={{ x: 1600 }}
        data-testid="profit-table"
        pagination={{
          current: Math.floor(q.offset / q.limit) + 1,
          pageSize: q.limit,
          total: data?.count ?? 0,
          showSizeChanger: false,
          showTotal: (n) => t('profit.rows', { n }),
        }}
        onChange={(p, _f, sorter) => {
          const s = Array.isArray(sorter) ? sorter[0] : sorter;
          const field = (s?.order ? String(s.columnKey) : 'profit') as SortKey;
          const descending = s?.order ? s.order === 'descend' : true;
          const offset = field === q.sort && descending === q.descending ? ((p.current ?? 1) - 1) * q.limit : 0;
          setQ((old) => ({ ...old, sort: field, descending, offset }));
        }}
        summary={() =>
          total ? (
            <Table.Summary fixed>
              <Table.Summary.Row>
                {columns.map((c, i) => {
                  const k = String(c.key);
                  let v: string = '';
                  if (i === 0) v = t('profit.total');
                  else if (k === 'orders') v = formatQty(total.orders);
                  else if (k === 'qty') v = formatQty(total.qty);
                  else if (k === 'profit') v = formatCents(total.profit);
                  else if (k === 'margin') v = pct(total.margin_bp);
                  else if (k in total.amounts) v = formatCents(total.amounts[k as Amount]);
                  return (
                    <Table.Summary.Cell key={k} index={i} align={i === 0 ? 'left' : 'right'}>
                      <strong data-testid={k === 'profit' ? 'profit-total' : undefined}>{v}</strong>
                    </Table.Summary.Cell>
                  );
                })}
              </Table.Summary.Row>
            </Table.Summary>
          ) : null
        }
      />
      <OrderDrawer ref_={orderRef} onClose={() => setOrderRef(null)} />
      <RatesModal
        open={ratesOpen}
        onClose={() => {
          setRatesOpen(false);
          unwrap(api.GET('/api/v1/finance/profit/rates')).then(setChannels).catch(() => undefined);
        }}
      />
    </Card>
  );
}
