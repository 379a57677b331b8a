import { useEffect, useMemo, useState } from 'react';
import { App, Card, Col, Empty, Row, Spin, Statistic } from 'antd';
import { api, unwrap } from '../../api/client';
import type { DashboardSummary } from '../../api/types';
import Chart, { type ChartOption } from '../../components/Chart';
import { errorText } from '../../components/useCursorList';
import { useI18n, type MsgKey } from '../../i18n';
import { formatCents, formatQty } from '../../money';
import { TRANSIT_WAREHOUSE } from '../inventory/transitCommon';

const CARDS: { key: keyof DashboardSummary; label: MsgKey; money?: boolean }[] = [
  { key: 'users', label: 'dash.users' },
  { key: 'roles', label: 'dash.roles' },
  { key: 'warehouses', label: 'dash.warehouses' },
  { key: 'skus', label: 'dash.skus' },
  { key: 'on_hand_total', label: 'dash.onHand' },
  { key: 'reserved_total', label: 'dash.reserved' },
  { key: 'inventory_value_cents', label: 'dash.value', money: true },
  { key: 'orders_open', label: 'dash.ordersOpen' },
  { key: 'low_stock', label: 'dash.lowStock' },
  { key: 'audit_today', label: 'dash.auditToday' },
];

/** Stock rows summed per warehouse; reads at most a few pages so a big catalog stays cheap. */
async function stockByWarehouse(): Promise<Map<string, { onHand: number; available: number }>> {
  const totals = new Map<string, { onHand: number; available: number }>();
  let cursor: string | undefined;
  for (let i = 0; i < 10; i++) {
    const page = await unwrap(api.GET('/api/v1/inventory/stock', { params: { query: { limit: 500, ...(cursor ? { cursor } : {}) } } }),
    );
    for (const r of page.items) {
      const t = totals.get(r.warehouse) ?? { onHand: 0, available: 0 };
      t.onHand += r.on_hand;
      if (r.warehouse !== TRANSIT_WAREHOUSE) t.available += r.available; // goods in transit are not for sale
      totals.set(r.warehouse, t);
    }
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return totals;
}

export default function DashboardPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [summary, setSummary] = useState<DashboardSummary | null>(null);
  const [stock, setStock] = useState<Map<string, { onHand: number; available: number }> | null>(null);

  useEffect(() => {
    unwrap(api.GET('/api/v1/dashboard/summary'))
      .then(setSummary)
      .catch((e) => message.error(errorText(e)));
    stockByWarehouse()
      .then(setStock)
      .catch(() => setStock(new Map()));
  }, [message]);

  const option: ChartOption = useMemo(() => {
    const names = [...(stock?.keys() ?? [])].sort();
    return {
      tooltip: { trigger: 'axis' },
      // ECharts 6 puts the legend at the bottom by default, on top of the x-axis labels: pin it to the top.
      legend: { data: [t('dash.onHandSeries'), t('dash.availableSeries')], top: 0, left: 'center' },
      grid: { left: 48, right: 16, top: 40, bottom: 32 },
      xAxis: { type: 'category', data: names.map((n) => (n === TRANSIT_WAREHOUSE ? t('transit.warehouse') : n)) },
      yAxis: { type: 'value', minInterval: 1 },
      series: [
        { name: t('dash.onHandSeries'), type: 'bar', barMaxWidth: 48, data: names.map((n) => stock!.get(n)!.onHand) },
        { name: t('dash.availableSeries'), type: 'bar', barMaxWidth: 48, data: names.map((n) => stock!.get(n)!.available) },
      ],
    };
  }, [stock, t]);

  return (
    <div data-testid="dashboard">
      <Row gutter={[12, 12]}>
        {CARDS.map((c) => (
          <Col key={c.key} xs={12} sm={8} md={6} xl={4}>
            <Card size="small">
              <Statistic
                title={t(c.label)}
                loading={!summary}
                value={summary ? (c.money ? formatCents(summary[c.key]) : formatQty(summary[c.key])) : 0}
                valueRender={(node) => <span data-testid={`stat-${c.key}`}>{node}</span>}
              />
            </Card>
          </Col>
        ))}
      </Row>
      <Card size="small" title={t('dash.chartStock')} style={{ marginTop: 12 }}>
        {stock === null ? (
          <Spin />
        ) : stock.size === 0 ? (
          <Empty description={t('dash.chartEmpty')} />
        ) : (
          <Chart option={option} testId="stock-chart" />
        )}
      </Card>
    </div>
  );
}
