// Purchase requests (采购申请): anyone who needs goods asks for a quantity of a SKU in a warehouse;
// a purchaser selects open requests and turns them into draft purchase orders (one per preferred
// supplier and warehouse), or rejects them.
import { useCallback, useEffect, useState } from 'react';
import { App, Button, Card, DatePicker, Form, Input, InputNumber, Select, Space, Table, Tabs, Tag, Typography } from 'antd';
import { PlusOutlined, ShoppingCartOutlined } from '@ant-design/icons';
import { useNavigate } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import type { PurchaseRequest } from '../../api/types';
import { errorText } from '../../components/useCursorList';
import { useWarehouses } from '../../components/useWarehouses';
import { formatTime } from '../../format';
import { optLabel, useI18n } from '../../i18n';
import { formatQty } from '../../money';
import { SkuSelect } from '../inventory/DocumentForm';

const STATUSES = ['open', 'ordered', 'rejected'] as const;
const COLORS: Record<string, string> = { open: 'gold', ordered: 'green', rejected: 'default' };

export default function RequestsPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const warehouses = useWarehouses();
  const [form] = Form.useForm();
  const [status, setStatus] = useState<(typeof STATUSES)[number]>('open');
  const [rows, setRows] = useState<PurchaseRequest[]>([]);
  const [selected, setSelected] = useState<number[]>([]);
  const load = useCallback(() => {
    unwrap(api.GET('/api/v1/purchasing/requests', { params: { query: { status } } }))
      .then((r) => {
        setRows(r);
        setSelected([]);
      })
      .catch(() => setRows([]));
  }, [status]);
  useEffect(load, [load]);
  const create = async () => {
    const v = await form.validateFields();
    try {
      await unwrap(
        api.POST('/api/v1/purchasing/requests', {
          body: { warehouse: v.warehouse, sku: v.sku, qty: v.qty, reason: v.reason || null, needed_by: v.needed_by ? v.needed_by.format('YYYY-MM-DD') : null },
        }),
      );
      form.resetFields(['sku', 'qty', 'reason', 'needed_by']);
      message.success(t('common.saved'));
      load();
    } catch (e) {
      message.error(errorText(e));
    }
  };
  const order = async () => {
    try {
      const made = await unwrap(api.POST('/api/v1/purchasing/requests/order', { body: { ids: selected } }));
      message.success(t('rp.created', { n: made.length, refs: made.map((m) => m.ref).join(', ') }));
      if (made.length === 1) navigate(`/purchasing/orders?id=${made[0].id}`);
      else load();
    } catch (e) {
      message.error(errorText(e));
    }
  };
  const reject = async (id: number) => {
    try {
      await unwrap(api.POST('/api/v1/purchasing/requests/{request_id}/reject', { params: { path: { request_id: id } } }));
      load();
    } catch (e) {
      message.error(errorText(e));
    }
  };
  return (
    <Card title={<Typography.Text strong>{t('menu.requests')}</Typography.Text>}>
      <Form form={form} layout="inline" size="small" style={{ marginBottom: 12, rowGap: 8 }}>
        <Form.Item name="warehouse" rules={[{ required: true }]}>
          <Select placeholder={t('doc.warehouse')} style={{ width: 160 }} options={warehouses.map((w) => ({ value: w.code, label: `${w.code} ${w.name}` }))} />
        </Form.Item>
        <Form.Item name="sku" rules={[{ required: true }]} style={{ width: 260 }}>
          <SkuSelect onChange={(code) => form.setFieldValue('sku', code)} />
        </Form.Item>
        <Form.Item name="qty" rules={[{ required: true }]}>
          <InputNumber min={1} precision={0} placeholder={t('doc.qty')} />
        </Form.Item>
        <Form.Item name="needed_by">
          <DatePicker placeholder={t('req.neededBy')} />
        </Form.Item>
        <Form.Item name="reason">
          <Input placeholder={t('req.reason')} style={{ width: 200 }} />
        </Form.Item>
        <Button type="primary" icon={<PlusOutlined />} onClick={create}>
          {t('req.new')}
        </Button>
      </Form>
      <Tabs activeKey={status} onChange={(k) => setStatus(k as (typeof STATUSES)[number])} items={STATUSES.map((s) => ({ key: s, label: optLabel(t, 'req.status', s) }))} />
      {status === 'open' && (
        <Button type="primary" icon={<ShoppingCartOutlined />} disabled={!selected.length} onClick={order} style={{ marginBottom: 8 }}>
          {t('rp.createDrafts', { n: selected.length })}
        </Button>
      )}
      <Table
        size="small"
        rowKey="id"
        dataSource={rows}
        rowSelection={status === 'open' ? { selectedRowKeys: selected, onChange: (k) => setSelected(k as number[]) } : undefined}
        columns={[
          { title: t('doc.ref'), dataIndex: 'ref' },
          { title: t('doc.status'), dataIndex: 'status', render: (s: string) => <Tag color={COLORS[s]}>{optLabel(t, 'req.status', s)}</Tag> },
          { title: t('doc.warehouse'), dataIndex: 'warehouse' },
          { title: 'SKU', dataIndex: 'sku' },
          { title: t('doc.qty'), dataIndex: 'qty', align: 'right', render: formatQty },
          { title: t('req.neededBy'), dataIndex: 'needed_by', render: (v: string | null) => v ?? '-' },
          { title: t('req.reason'), dataIndex: 'reason', render: (v: string | null) => v ?? '-' },
          { title: t('doc.createdBy'), dataIndex: 'created_by', render: (v: string, r: PurchaseRequest) => `${v} · ${formatTime(r.created_at)}` },
          { title: t('po.ref'), dataIndex: 'order', render: (v: string | null) => v ?? '-' },
          {
            title: '',
            key: 'ops',
            render: (_: unknown, r: PurchaseRequest) =>
              r.status === 'open' ? (
                <Space>
                  <Button size="small" type="link" danger onClick={() => reject(r.id)}>
                    {t('po.action.reject')}
                  </Button>
                </Space>
              ) : null,
          },
        ]}
      />
    </Card>
  );
}
