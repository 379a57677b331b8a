import { useCallback, useEffect, useState } from 'react';
import { App, Button, Card, Input, Select, Space, Table, Tag } from 'antd';
import { PrinterOutlined, ReloadOutlined } from '@ant-design/icons';
import { api, ApiError, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { formatTime } from '../../format';
import { optLabel, useI18n } from '../../i18n';
import { formatCents } from '../../money';
import { openPdf } from './fulfillmentCommon';

type Shipment = components['schemas']['ShipmentOut'];

/** Parcels: packed ones waiting for their tracking number, and shipped ones with their documents. */
export default function ShipmentsPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [status, setStatus] = useState<'' | 'packed' | 'shipped'>('');
  const [q, setQ] = useState('');
  const [rows, setRows] = useState<Shipment[]>([]);
  const [numbers, setNumbers] = useState<Record<string, string>>({});
  const [loading, setLoading] = useState(false);

  const load = useCallback(() => {
    setLoading(true);
    unwrap(api.GET('/api/v1/fulfillment/shipments', { params: { query: { ...(status ? { status } : {}), ...(q ? { q } : {}) } } }))
      .then(setRows)
      .catch(() => setRows([]))
      .finally(() => setLoading(false));
  }, [status, q]);
  useEffect(load, [load]);

  const ship = async (ref: string) => {
    try {
      const no = numbers[ref]?.trim();
      const done = await unwrap(api.POST('/api/v1/fulfillment/shipments/{ref}/ship', { params: { path: { ref } }, body: no ? { tracking_no: no } : {} }));
      message.success(t('ful.shippedMsg', { order: done.order, no: done.tracking_no }));
      load();
    } catch (e) {
      message.error((e as ApiError).message);
    }
  };

  const pdf = (ref: string, kind: 'label' | 'a4' | 'slip') => {
    const path = { ref };
    void openPdf(
      kind === 'slip'
        ? api.GET('/api/v1/fulfillment/shipments/{ref}/packing-slip.pdf', { params: { path }, parseAs: 'blob' })
        : api.GET('/api/v1/fulfillment/shipments/{ref}/label.pdf', { params: { path, query: { size: kind === 'a4' ? 'a4' : '100x150' } }, parseAs: 'blob' }),
    );
  };

  return (
    <Card
      size="small"
      title={t('menu.shipments')}
      extra={
        <Space wrap>
          <Input.Search allowClear placeholder={t('ful.searchShipment')} onSearch={(v) => setQ(v.trim())} style={{ width: 220 }} data-testid="shipment-search" />
          <Select
            style={{ width: 120 }}
            value={status}
            onChange={setStatus}
            options={[{ value: '', label: t('common.all') }, ...(['packed', 'shipped'] as const).map((s) => ({ value: s, label: optLabel(t, 'ful.status', s) }))]}
          />
          <Button icon={<ReloadOutlined />} onClick={load}>
            {t('common.refresh')}
          </Button>
        </Space>
      }
    >
      <Table
        size="small"
        rowKey="order"
        loading={loading}
        dataSource={rows}
        pagination={{ pageSize: 50 }}
        data-testid="shipments-table"
        columns={[
          { title: t('ful.order'), dataIndex: 'order' },
          { title: t('ful.warehouse'), dataIndex: 'warehouse' },
          { title: t('ful.courier'), render: (_: unknown, s: Shipment) => `${s.carrier} · ${s.account}` },
          { title: t('ful.rule'), dataIndex: 'rule' },
          { title: t('ful.weight'), dataIndex: 'weight_g', align: 'right' },
          { title: t('ful.fee'), dataIndex: 'fee_cents', align: 'right', render: formatCents },
          { title: t('common.status'), dataIndex: 'status', render: (v: string) => <Tag color={v === 'shipped' ? 'success' : 'orange'}>{optLabel(t, 'ful.status', v)}</Tag> },
          {
            title: t('ful.trackingNo'),
            render: (_: unknown, s: Shipment) =>
              s.tracking_no ?? (
                <Space.Compact>
                  <Input
                    size="small"
                    style={{ width: 150 }}
                    placeholder={t('ful.scanTracking')}
                    value={numbers[s.order] ?? ''}
                    onChange={(e) => setNumbers({ ...numbers, [s.order]: e.target.value })}
                    onPressEnter={() => void ship(s.order)}
                  />
                  <Button size="small" type="primary" onClick={() => void ship(s.order)}>
                    {t('ful.ship')}
                  </Button>
                </Space.Compact>
              ),
          },
          { title: t('ful.packedAt'), dataIndex: 'packed_at', render: formatTime },
          { title: t('ful.shippedAt'), dataIndex: 'shipped_at', render: formatTime },
          {
            title: t('common.actions'),
            render: (_: unknown, s: Shipment) => (
              <Space size={4}>
                <Button size="small" icon={<PrinterOutlined />} onClick={() => pdf(s.order, 'label')}>
                  {t('ful.label')}
                </Button>
                <Button size="small" onClick={() => pdf(s.order, 'a4')}>
                  A4
                </Button>
                <Button size="small" onClick={() => pdf(s.order, 'slip')}>
                  {t('ful.packingSlip')}
                </Button>
              </Space>
            ),
          },
        ]}
      />
    </Card>
  );
}
