// Batches and expiry (批次效期): stock per batch, near-expiry and expired lists, quality holds.
import { useCallback, useEffect, useState } from 'react';
import { App, Button, Card, Input, Modal, Segmented, Select, Space, Table, Tag, Typography } from 'antd';
import { api, unwrap } from '../../api/client';
import type { Lot } from '../../api/types';
import { errorText } from '../../components/useCursorList';
import { useUrlFilters } from '../../components/useUrlFilters';
import { useWarehouses } from '../../components/useWarehouses';
import { useI18n } from '../../i18n';
import { formatQty } from '../../money';

type View = 'all' | 'near' | 'expired' | 'blocked';
const NEAR_DAYS = 30;

export default function BatchesPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const { params, setFilter } = useUrlFilters();
  const view = (params.get('view') as View) || 'all';
  const warehouse = params.get('warehouse') ?? '';
  const sku = params.get('sku') ?? '';
  const warehouses = useWarehouses();
  const [rows, setRows] = useState<Lot[]>([]);
  const [loading, setLoading] = useState(false);
  const [holding, setHolding] = useState<Lot | null>(null);
  const [reason, setReason] = useState('');

  const load = useCallback(() => {
    setLoading(true);
    const query = {
      in_stock: true,
      ...(warehouse ? { warehouse } : {}),
      ...(sku ? { sku } : {}),
      ...(view === 'near' ? { expiring_within_days: NEAR_DAYS } : {}),
      ...(view === 'expired' ? { expired: true } : {}),
      ...(view === 'blocked' ? { blocked: true } : {}),
    };
    unwrap(api.GET('/api/v1/inventory/lots', { params: { query } }))
      .then(setRows)
      .catch((e) => {
        setRows([]);
        message.error(errorText(e));
      })
      .finally(() => setLoading(false));
  }, [warehouse, sku, view, message]);

  useEffect(load, [load]);

  const hold = async () => {
    if (!holding) return;
    try {
      await unwrap(api.POST('/api/v1/inventory/lots/{lot_id}/block', { params: { path: { lot_id: holding.id } }, body: { reason: reason.trim() } }));
      message.success(t('lot.held', { lot: holding.lot_no }));
      setHolding(null);
      load();
    } catch (e) {
      message.error(errorText(e));
    }
  };

  const release = async (lot: Lot) => {
    try {
      await unwrap(api.POST('/api/v1/inventory/lots/{lot_id}/unblock', { params: { path: { lot_id: lot.id } } }));
      message.success(t('lot.released', { lot: lot.lot_no }));
      load();
    } catch (e) {
      message.error(errorText(e));
    }
  };

  const state = (r: Lot) => {
    if (r.blocked) return <Tag color="red">{t('lot.blocked')}</Tag>;
    if (r.expired) return <Tag color="volcano">{t('lot.expired')}</Tag>;
    if (r.days_left !== null && r.days_left !== undefined && r.days_left <= NEAR_DAYS) return <Tag color="orange">{t('lot.near')}</Tag>;
    return <Tag color="green">{t('lot.ok')}</Tag>;
  };

  return (
    <Card
      size="small"
      title={t('lot.title')}
      extra={
        <Space wrap>
          <Segmented<View>
            value={view}
            onChange={(v) => setFilter('view', v === 'all' ? '' : v)}
            data-testid="lot-view"
            options={[
              { value: 'all', label: t('lot.viewAll') },
              { value: 'near', label: t('lot.viewNear', { days: NEAR_DAYS }) },
              { value: 'expired', label: t('lot.viewExpired') },
              { value: 'blocked', label: t('lot.viewBlocked') },
            ]}
          />
          <Select
            style={{ width: 180 }}
            value={warehouse}
            onChange={(v) => setFilter('warehouse', v)}
            data-testid="lot-warehouse"
            options={[{ value: '', label: t('stock.allWarehouses') }, ...warehouses.map((w) => ({ value: w.code, label: `${w.code} ${w.name}` }))]}
          />
          <Input.Search allowClear defaultValue={sku} placeholder={t('lot.skuCode')} style={{ width: 200 }} onSearch={(v) => setFilter('sku', v.trim())} data-testid="lot-sku" />
        </Space>
      }
    >
      <Table<Lot>
        size="small"
        rowKey={(r) => `${r.id}/${r.warehouse ?? ''}`}
        loading={loading}
        dataSource={rows}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        data-testid="lot-table"
        onRow={() => ({ 'data-testid': 'lot-row' }) as never}
        columns={[
          { title: t('lot.lotNo'), dataIndex: 'lot_no', width: 140 },
          { title: t('stock.sku'), dataIndex: 'sku', width: 140 },
          { title: t('stock.name'), dataIndex: 'sku_name' },
          { title: t('stock.warehouse'), dataIndex: 'warehouse', width: 110 },
          { title: t('lot.made'), dataIndex: 'production_date', width: 110, render: (v) => v ?? '-' },
          { title: t('lot.expires'), dataIndex: 'expiry_date', width: 110, render: (v) => v ?? '-' },
          {
            title: t('lot.daysLeft'),
            dataIndex: 'days_left',
            width: 90,
            align: 'right',
            render: (v: number | null) => (v === null || v === undefined ? '-' : <Typography.Text type={v < 0 ? 'danger' : v <= NEAR_DAYS ? 'warning' : undefined}>{v}</Typography.Text>),
          },
          { title: t('stock.onHand'), dataIndex: 'on_hand', width: 90, align: 'right', render: formatQty },
          { title: t('stock.reserved'), dataIndex: 'reserved', width: 90, align: 'right', render: formatQty },
          { title: t('lot.state'), key: 'state', width: 90, render: (_, r) => state(r) },
          {
            title: '',
            key: 'actions',
            width: 100,
            render: (_, r) =>
              r.blocked ? (
                <Button size="small" onClick={() => void release(r)} data-testid="lot-release">
                  {t('lot.release')}
                </Button>
              ) : (
                <Button size="small" danger onClick={() => { setReason(''); setHolding(r); }} data-testid="lot-hold">
                  {t('lot.hold')}
                </Button>
              ),
          },
        ]}
      />
      <Modal
        open={holding !== null}
        title={t('lot.holdTitle', { lot: holding?.lot_no ?? '' })}
        onCancel={() => setHolding(null)}
        onOk={() => void hold()}
        okButtonProps={{ disabled: !reason.trim(), danger: true, 'data-testid': 'lot-hold-ok' } as never}
      >
        <Typography.Paragraph type="secondary">{t('lot.holdHint')}</Typography.Paragraph>
        <Input.TextArea value={reason} maxLength={200} onChange={(e) => setReason(e.target.value)} placeholder={t('lot.holdReason')} data-testid="lot-hold-reason" />
      </Modal>
    </Card>
  );
}
