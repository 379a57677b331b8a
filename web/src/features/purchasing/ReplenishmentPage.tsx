// The replenishment workbench (智能补货): suggestions per warehouse and SKU, most urgent first, each
// with a popover explaining its numbers; select rows, adjust quantities, create draft purchase
// orders (one per supplier and warehouse). A second tab lists slow-moving and overstocked stock.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { App, Button, Card, Descriptions, InputNumber, Popover, Select, Space, Switch, Table, Tabs, Tag, Typography } from 'antd';
import { InfoCircleOutlined, ReloadOutlined, ShoppingCartOutlined } from '@ant-design/icons';
import { useNavigate } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import type { Replenishment, StockHealthRow, Suggestion } from '../../api/types';
import { errorText } from '../../components/useCursorList';
import { useWarehouses } from '../../components/useWarehouses';
import { optLabel, useI18n } from '../../i18n';
import { formatCents, formatQty } from '../../money';
import { UrgencyTag } from './purchasingCommon';

const key = (r: { warehouse: string; sku: string }) => `${r.warehouse}|${r.sku}`;
const URGENCY_ORDER = ['stockout', 'critical', 'reorder', 'ok'];
const num = (v: number | null | undefined) => (v === null || v === undefined ? -1 : v);

function Explain({ r }: { r: Suggestion }) {
  const { t } = useI18n();
  const d = r.daily_demand ?? 0;
  return (
    <Descriptions size="small" column={1} bordered style={{ width: 460 }} data-testid="rp-explain">
      <Descriptions.Item label={t('rp.model')}>
        {optLabel(t, 'rp.model', r.model)}
        {r.backtest_mae !== null && ` · MAE ${r.backtest_mae} (${t('rp.naive')} ${r.naive_mae})`}
        {r.backtest_wmape !== null && ` · wMAPE ${(r.backtest_wmape * 100).toFixed(1)}%`}
      </Descriptions.Item>
      <Descriptions.Item label={t('rp.demand')}>{`${d} / ${t('rp.day')} · ${t('rp.sold30')} ${r.sold_30d}`}</Descriptions.Item>
      <Descriptions.Item label={t('rp.safety')}>{`${r.safety_stock} (${r.safety_from_catalog ? t('rp.fromCatalog') : t('rp.statistical')})`}</Descriptions.Item>
      <Descriptions.Item label={t('rp.reorderPoint')}>{`⌈${d} × ${r.lead_time_days} + ${r.safety_stock}⌉ = ${r.reorder_point}`}</Descriptions.Item>
      <Descriptions.Item label={t('rp.position')}>{`${r.available} + ${r.open_po} + ${r.in_transit} = ${r.position}`}</Descriptions.Item>
      <Descriptions.Item label={t('rp.target')}>{`⌈${d} × (${r.lead_time_days} + ${t('rp.coverDays')}) + ${r.safety_stock}⌉ = ${r.target_level}`}</Descriptions.Item>
      <Descriptions.Item label={t('rp.suggested')}>{`${r.target_level} − ${r.position} = ${r.need} → MOQ ${r.moq}, ${t('sup.pack')} ${r.pack_size} → ${r.suggested_qty}`}</Descriptions.Item>
    </Descriptions>
  );
}

function Workbench() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const warehouses = useWarehouses();
  const [warehouse, setWarehouse] = useState<string | undefined>();
  const [dueOnly, setDueOnly] = useState(true);
  const [data, setData] = useState<Replenishment | null>(null);
  const [loading, setLoading] = useState(false);
  const [selected, setSelected] = useState<string[]>([]);
  const [qty, setQty] = useState<Record<string, number>>({});
  const [creating, setCreating] = useState(false);
  const load = useCallback(() => {
    setLoading(true);
    unwrap(api.GET('/api/v1/purchasing/replenishment', { params: { query: { warehouse, due_only: dueOnly } } }))
      .then((d) => {
        setData(d);
        setSelected([]);
        setQty({});
      })
      .catch((e) => message.error(errorText(e)))
      .finally(() => setLoading(false));
  }, [warehouse, dueOnly, message]);
  useEffect(load, [load]);
  const rows = useMemo(() => data?.rows ?? [], [data]);
  const create = async () => {
    const picks = rows
      .filter((r) => selected.includes(key(r)))
      .map((r) => ({ warehouse: r.warehouse, sku: r.sku, qty: qty[key(r)] ?? r.suggested_qty }))
      .filter((p) => p.qty > 0);
    if (!picks.length) return;
    setCreating(true);
    try {
      const made = await unwrap(api.POST('/api/v1/purchasing/replenishment/draft-orders', { body: { picks } }));
      message.success(t('rp.created', { n: made.length, refs: made.map((m) => m.ref).join(', ') }));
      load();
      if (made.length === 1) navigate(`/purchasing/orders?id=${made[0].id}`);
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setCreating(false);
    }
  };
  return (
    <>
      <Space wrap style={{ marginBottom: 12 }}>
        <Select allowClear placeholder={t('doc.warehouse')} style={{ width: 180 }} value={warehouse} onChange={setWarehouse} options={warehouses.map((w) => ({ value: w.code, label: `${w.code} ${w.name}` }))} />
        <Switch checked={dueOnly} onChange={setDueOnly} data-testid="rp-due-only" /> {t('rp.dueOnly')}
        <Button icon={<ReloadOutlined />} onClick={load} />
        <Button type="primary" icon={<ShoppingCartOutlined />} disabled={!selected.length} loading={creating} onClick={create} data-testid="rp-create">
          {t('rp.createDrafts', { n: selected.length })}
        </Button>
        {data && URGENCY_ORDER.map((u) => <Tag key={u}>{`${optLabel(t, 'rp.urgency', u)} ${data.counts[u] ?? 0}`}</Tag>)}
        {data && <Typography.Text type="secondary">{t('rp.basis', { days: data.history_days, cover: data.target_days })}</Typography.Text>}
      </Space>
      <Table
        size="small"
        rowKey={key}
        loading={loading}
        dataSource={rows}
        data-testid="rp-table"
        pagination={{ pageSize: 50, showSizeChanger: true }}
        scroll={{ x: 1400 }}
        rowSelection={{ selectedRowKeys: selected, onChange: (keys) => setSelected(keys as string[]), getCheckboxProps: (r) => ({ disabled: !r.supplier, 'data-testid': `rp-select-${r.warehouse}-${r.sku}` }) as object }}
        columns={[
          { title: t('rp.urgency'), dataIndex: 'urgency', fixed: 'left', sorter: (a, b) => URGENCY_ORDER.indexOf(a.urgency) - URGENCY_ORDER.indexOf(b.urgency) || num(a.slack_days) - num(b.slack_days), render: (u: string) => <UrgencyTag urgency={u} /> },
          { title: t('doc.warehouse'), dataIndex: 'warehouse', sorter: (a, b) => a.warehouse.localeCompare(b.warehouse) },
          { title: 'SKU', dataIndex: 'sku', sorter: (a, b) => a.sku.localeCompare(b.sku), render: (v: string, r: Suggestion) => `${v} ${r.name}` },
          { title: t('rp.demand'), dataIndex: 'daily_demand', align: 'right', sorter: (a, b) => num(a.daily_demand) - num(b.daily_demand) },
          { title: t('rp.model'), dataIndex: 'model', render: (m: string) => optLabel(t, 'rp.model', m) },
          { title: t('rp.available'), dataIndex: 'available', align: 'right', render: formatQty, sorter: (a, b) => a.available - b.available },
          { title: t('rp.openPo'), dataIndex: 'open_po', align: 'right', render: formatQty },
          { title: t('to.inTransit'), dataIndex: 'in_transit', align: 'right', render: formatQty },
          { title: t('rp.reorderPoint'), dataIndex: 'reorder_point', align: 'right', render: formatQty },
          { title: t('rp.cover'), dataIndex: 'days_of_cover', align: 'right', sorter: (a, b) => num(a.days_of_cover) - num(b.days_of_cover), render: (v: number | null) => (v === null ? '∞' : v) },
          { title: t('sup.leadTime'), dataIndex: 'lead_time_days', align: 'right' },
          { title: t('sup.supplier'), dataIndex: 'supplier', render: (v: string | null, r: Suggestion) => (v ? `${v} ${formatCents(r.price_cents)}` : <Tag color="red">{t('rp.noSupplier')}</Tag>) },
          {
            title: t('rp.suggested'),
            dataIndex: 'suggested_qty',
            align: 'right',
            sorter: (a, b) => a.suggested_qty - b.suggested_qty,
            render: (v: number, r: Suggestion) => (
              <Space size={4}>
                <InputNumber size="small" min={0} precision={0} step={r.pack_size} value={qty[key(r)] ?? v} onChange={(x) => setQty((p) => ({ ...p, [key(r)]: x ?? 0 }))} style={{ width: 90 }} data-testid={`rp-qty-${r.warehouse}-${r.sku}`} />
                <Popover content={<Explain r={r} />} title={t('rp.why')} trigger="click">
                  <Button size="small" type="text" icon={<InfoCircleOutlined />} data-testid={`rp-why-${r.warehouse}-${r.sku}`} />
                </Popover>
              </Space>
            ),
          },
        ]}
      />
    </>
  );
}

function StockHealth() {
  const { t } = useI18n();
  const [rows, setRows] = useState<StockHealthRow[]>([]);
  const [kind, setKind] = useState<string>('');
  useEffect(() => {
    unwrap(api.GET('/api/v1/purchasing/stock-health')).then(setRows).catch(() => setRows([]));
  }, []);
  const shown = kind ? rows.filter((r) => r.kind === kind) : rows;
  return (
    <>
      <Select
        style={{ width: 180, marginBottom: 12 }}
        value={kind}
        onChange={setKind}
        options={[
          { value: '', label: t('common.all') },
          { value: 'slow_moving', label: t('rp.kind.slow_moving') },
          { value: 'overstock', label: t('rp.kind.overstock') },
        ]}
      />
      <Table
        size="small"
        rowKey={key}
        dataSource={shown}
        columns={[
          { title: t('rp.kindCol'), dataIndex: 'kind', render: (k: string) => <Tag color={k === 'slow_moving' ? 'purple' : 'orange'}>{optLabel(t, 'rp.kind', k)}</Tag> },
          { title: t('doc.warehouse'), dataIndex: 'warehouse' },
          { title: 'SKU', dataIndex: 'sku', render: (v: string, r: StockHealthRow) => `${v} ${r.name}` },
          { title: t('rp.onHand'), dataIndex: 'on_hand', align: 'right', render: formatQty, sorter: (a, b) => a.on_hand - b.on_hand },
          { title: t('rp.sold30'), dataIndex: 'sold_30d', align: 'right', render: formatQty },
          { title: t('rp.demand'), dataIndex: 'daily_demand', align: 'right' },
          { title: t('rp.cover'), dataIndex: 'days_of_cover', align: 'right', sorter: (a, b) => num(a.days_of_cover) - num(b.days_of_cover), render: (v: number | null) => (v === null ? '∞' : v) },
        ]}
      />
    </>
  );
}

export default function ReplenishmentPage() {
  const { t } = useI18n();
  return (
    <Card title={<Typography.Text strong>{t('menu.replenishment')}</Typography.Text>}>
      <Tabs
        items={[
          { key: 'suggest', label: t('rp.suggestions'), children: <Workbench /> },
          { key: 'health', label: <span data-testid="rp-tab-health">{t('rp.health')}</span>, children: <StockHealth /> },
        ]}
      />
    </Card>
  );
}
