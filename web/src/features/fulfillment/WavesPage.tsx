import { useCallback, useEffect, useState } from 'react';
import { App, Button, Card, Form, InputNumber, Modal, Select, Space, Table, Tag } from 'antd';
import { PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { Link, useNavigate } from 'react-router-dom';
import { api, ApiError, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { useWarehouses } from '../../components/useWarehouses';
import { formatTime } from '../../format';
import { optLabel, useI18n } from '../../i18n';
import { WaveStatus } from './fulfillmentCommon';

type Wave = components['schemas']['WaveOut'];

/** Waves (波次): created from allocated orders, released to picking, then picked and shipped. */
export default function WavesPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const warehouses = useWarehouses();
  const [status, setStatus] = useState('');
  const [rows, setRows] = useState<Wave[]>([]);
  const [loading, setLoading] = useState(false);
  const [creating, setCreating] = useState(false);
  const [form] = Form.useForm();

  const load = useCallback(() => {
    setLoading(true);
    unwrap(api.GET('/api/v1/fulfillment/waves', { params: { query: status ? { status } : {} } }))
      .then(setRows)
      .catch(() => setRows([]))
      .finally(() => setLoading(false));
  }, [status]);
  useEffect(load, [load]);

  const create = async () => {
    const v = await form.validateFields();
    try {
      const made = await unwrap(api.POST('/api/v1/fulfillment/waves', { body: v }));
      message.success(t('ful.wavesCreated', { n: made.waves.length }));
      if (made.unassigned.length) message.warning(t('ful.unassigned', { refs: made.unassigned.join(', ') }));
      setCreating(false);
      load();
    } catch (e) {
      message.error((e as ApiError).message);
    }
  };

  const release = async (ref: string) => {
    try {
      await unwrap(api.POST('/api/v1/fulfillment/waves/{ref}/release', { params: { path: { ref } } }));
      message.success(t('ful.released'));
      navigate(`/fulfillment/waves/${encodeURIComponent(ref)}`);
    } catch (e) {
      message.error((e as ApiError).message);
    }
  };

  return (
    <Card
      size="small"
      title={t('menu.waves')}
      extra={
        <Space wrap>
          <Select
            style={{ width: 140 }}
            value={status}
            onChange={setStatus}
            data-testid="wave-status-filter"
            options={[{ value: '', label: t('common.all') }, ...['created', 'released', 'picked', 'done'].map((s) => ({ value: s, label: optLabel(t, 'ful.wave', s) }))]}
          />
          <Button icon={<ReloadOutlined />} onClick={load}>
            {t('common.refresh')}
          </Button>
          <Button
            type="primary"
            icon={<PlusOutlined />}
            data-testid="wave-create"
            onClick={() => {
              form.setFieldsValue({ warehouse: warehouses[0]?.code, max_orders: 50, strategy: 'cheapest' });
              setCreating(true);
            }}
          >
            {t('ful.createWaves')}
          </Button>
        </Space>
      }
    >
      <Table
        size="small"
        rowKey="ref"
        loading={loading}
        dataSource={rows}
        pagination={{ pageSize: 50 }}
        data-testid="waves-table"
        columns={[
          { title: t('ful.wave'), dataIndex: 'ref', render: (v: string) => <Link to={`/fulfillment/waves/${encodeURIComponent(v)}`}>{v}</Link> },
          { title: t('ful.warehouse'), dataIndex: 'warehouse' },
          { title: t('ful.kind'), dataIndex: 'kind', render: (v: string) => <Tag>{optLabel(t, 'ful.kind', v)}</Tag> },
          { title: t('ful.courier'), dataIndex: 'account_name' },
          { title: t('ful.orders'), dataIndex: 'orders', align: 'right' },
          { title: t('ful.shipped'), dataIndex: 'shipped', align: 'right' },
          { title: t('common.status'), dataIndex: 'status', render: (v: string) => <WaveStatus t={t} status={v} /> },
          { title: t('ful.createdAt'), dataIndex: 'created_at', render: formatTime },
          {
            title: t('common.actions'),
            render: (_: unknown, w: Wave) =>
              w.status === 'created' ? (
                <Button size="small" type="primary" data-testid={`wave-release-${w.ref}`} onClick={() => void release(w.ref)}>
                  {t('ful.release')}
                </Button>
              ) : (
                <Link to={`/fulfillment/waves/${encodeURIComponent(w.ref)}`}>{t('ful.pickList')}</Link>
              ),
          },
        ]}
      />
      <Modal open={creating} title={t('ful.createWaves')} onOk={() => void create()} onCancel={() => setCreating(false)} okButtonProps={{ 'data-testid': 'wave-create-ok' } as never} destroyOnHidden>
        <Form form={form} layout="vertical">
          <Form.Item name="warehouse" label={t('ful.warehouse')} rules={[{ required: true }]}>
            <Select data-testid="wave-warehouse" options={warehouses.map((w) => ({ value: w.code, label: `${w.code} ${w.name}` }))} />
          </Form.Item>
          <Form.Item name="max_orders" label={t('ful.maxOrders')} rules={[{ required: true }]}>
            <InputNumber min={1} max={500} precision={0} style={{ width: '100%' }} />
          </Form.Item>
          <Form.Item name="strategy" label={t('ful.strategy')}>
            <Select options={['cheapest', 'priority'].map((s) => ({ value: s, label: optLabel(t, 'ful.strategy', s) }))} />
          </Form.Item>
        </Form>
      </Modal>
    </Card>
  );
}
