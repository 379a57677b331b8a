import { useCallback, useEffect, useState } from 'react';
import { Badge, Button, Card, Select, Space, Table, Tabs, Tag, Typography } from 'antd';
import { ReloadOutlined } from '@ant-design/icons';
import { Link, useSearchParams } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import type { StockAlert, StockAlertKind } from '../../api/types';
import LoadMore from '../../components/LoadMore';
import { useCursorList } from '../../components/useCursorList';
import { useWarehouses } from '../../components/useWarehouses';
import { formatTime } from '../../format';
import { optLabel, useI18n } from '../../i18n';
import { formatQty } from '../../money';

const SEVERITY_COLOR: Record<string, string> = { warning: 'orange', critical: 'red', info: 'blue' };

/** Stock alerts now: a tab per kind (with its count), filtered by warehouse; linked from notifications. */
export default function AlertsPage() {
  const { t, lang } = useI18n();
  const [params, setParams] = useSearchParams();
  const kind = params.get('kind') || 'low_stock';
  const warehouse = params.get('warehouse') ?? '';
  const warehouses = useWarehouses();
  const [kinds, setKinds] = useState<StockAlertKind[]>([]);

  const setParam = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };

  const loadKinds = useCallback(() => {
    unwrap(api.GET('/api/v1/inventory/alerts/kinds', { params: { query: warehouse ? { warehouse } : {} } }))
      .then(setKinds)
      .catch(() => setKinds([]));
  }, [warehouse]);
  useEffect(loadKinds, [loadKinds]);

  const list = useCursorList<StockAlert>(
    (cursor) =>
      unwrap(
        api.GET('/api/v1/inventory/alerts', {
          params: {
            query: {
              kind: kind as StockAlert['kind'],
              ...(warehouse ? { warehouse } : {}),
              ...(cursor ? { cursor } : {}),
            },
          },
        }),
      ),
    [kind, warehouse],
  );

  const kindTitle = (k: StockAlertKind) => {
    const label = optLabel(t, 'alerts.kind', k.kind);
    return label === k.kind ? (lang === 'zh-CN' ? k.zh : k.en) : label;
  };

  const ledgerLink = (r: StockAlert) => `/inventory/ledger?sku=${encodeURIComponent(r.sku)}&warehouse=${encodeURIComponent(r.warehouse)}`;

  return (
    <Card
      size="small"
      title={t('alerts.title')}
      extra={
        <Space wrap>
          <Select
            style={{ width: 180 }}
            value={warehouse}
            onChange={(v) => setParam('warehouse', v)}
            data-testid="alerts-warehouse"
            options={[{ value: '', label: t('stock.allWarehouses') }, ...warehouses.map((w) => ({ value: w.code, label: `${w.code} ${w.name}` }))]}
          />
          <Button
            icon={<ReloadOutlined />}
            onClick={() => {
              loadKinds();
              void list.reload();
            }}
            data-testid="alerts-refresh"
          >
            {t('common.refresh')}
          </Button>
        </Space>
      }
    >
      <Tabs
        activeKey={kind}
        onChange={(k) => setParam('kind', k)}
        data-testid="alerts-tabs"
        items={(kinds.length ? kinds : [{ kind: 'low_stock', count: 0, severity: 'warning', zh: '', en: '' }]).map((k) => ({
          key: k.kind,
          label: (
            <span data-testid={`alerts-tab-${k.kind}`}>
              {kindTitle(k)}{' '}
              <Badge count={k.count} showZero overflowCount={9999} color={k.count ? SEVERITY_COLOR[k.severity] : '#bfbfbf'} data-testid={`alerts-count-${k.kind}`} />
            </span>
          ),
        }))}
      />
      <Table<StockAlert>
        size="small"
        rowKey={(r) => `${r.kind}/${r.warehouse}/${r.sku}/${r.lot ?? ''}`}
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        locale={{ emptyText: t('alerts.empty') }}
        data-testid="alerts-table"
        columns={[
          {
            title: t('common.status'),
            dataIndex: 'severity',
            width: 80,
            render: (v: string) => <Tag color={SEVERITY_COLOR[v]}>{optLabel(t, 'alerts.severity', v)}</Tag>,
          },
          { title: t('stock.warehouse'), dataIndex: 'warehouse', width: 110 },
          {
            title: t('stock.sku'),
            dataIndex: 'sku',
            width: 150,
            render: (v: string, r) => (
              <Link to={ledgerLink(r)} data-testid="alerts-sku-link">
                {v}
              </Link>
            ),
          },
          { title: t('stock.name'), dataIndex: 'sku_name' },
          { title: t('stock.onHand'), dataIndex: 'on_hand', align: 'right', render: formatQty },
          { title: t('stock.reserved'), dataIndex: 'reserved', align: 'right', render: formatQty },
          {
            title: t('stock.available'),
            dataIndex: 'available',
            align: 'right',
            render: (v: number) => <Typography.Text type={v < 0 ? 'danger' : undefined}>{formatQty(v)}</Typography.Text>,
          },
          { title: t('stock.safety'), dataIndex: 'safety_stock', align: 'right', render: formatQty },
          {
            title: t('alerts.shortfall'),
            dataIndex: 'shortfall',
            align: 'right',
            render: (v: number) => (
              <Typography.Text type="danger" strong data-testid="alerts-shortfall">
                {formatQty(v)}
              </Typography.Text>
            ),
          },
          { title: t('alerts.since'), dataIndex: 'since', width: 170, render: (v: string | null) => formatTime(v) },
        ]}
      />
      <LoadMore count={list.items.length} hasMore={Boolean(list.next)} loading={list.loading} onLoadMore={list.loadMore} />
    </Card>
  );
}
