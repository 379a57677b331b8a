import { useState } from 'react';
import { App, Button, Card, Form, Input, InputNumber, Modal, Select, Space, Table, Tag } from 'antd';
import { PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { useNavigate } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import type { Sku } from '../../api/types';
import LoadMore from '../../components/LoadMore';
import { errorText, useCursorList } from '../../components/useCursorList';
import { costMethodLabel, useI18n } from '../../i18n';
import { formatCents, parseYuanToCents } from '../../money';

interface FormValues {
  code: string;
  name: string;
  unit: string;
  price: string;
  cost_method: components['schemas']['SkuIn']['cost_method'];
  safety_stock: number;
}

export default function SkusPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const [q, setQ] = useState('');
  const [open, setOpen] = useState(false);
  const [saving, setSaving] = useState(false);
  const [form] = Form.useForm<FormValues>();

  const list = useCursorList<Sku>(
    (cursor) =>
      unwrap(api.GET('/api/v1/catalog/skus', { params: { query: { ...(q ? { q } : {}), ...(cursor ? { cursor } : {}) } } })),
    [q],
  );

  const save = async () => {
    const v = await form.validateFields();
    const price_cents = parseYuanToCents(v.price);
    if (price_cents === null) return;
    setSaving(true);
    try {
      await unwrap(api.POST('/api/v1/catalog/skus', {
          body: { code: v.code.trim(), name: v.name.trim(), unit: v.unit.trim(), price_cents, cost_method: v.cost_method, safety_stock: v.safety_stock ?? 0, barcodes: [], tracking: 'none', kind: 'standard', components: [] },
        }),
      );
      message.success(t('common.created'));
      setOpen(false);
      await list.reload();
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Card
      size="small"
      title={t('skus.title')}
      extra={
        <Space>
          <Input.Search allowClear placeholder={t('skus.search')} style={{ width: 220 }} onSearch={(v) => setQ(v.trim())} data-testid="sku-search" />
          <Button icon={<ReloadOutlined />} onClick={() => list.reload()} />
          <Button
            type="primary"
            icon={<PlusOutlined />}
            data-testid="sku-new"
            onClick={() => {
              form.resetFields();
              setOpen(true);
            }}
          >
            {t('skus.new')}
          </Button>
        </Space>
      }
    >
      <Table<Sku>
        size="small"
        rowKey="id"
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        data-testid="skus-table"
        columns={[
          {
            title: t('skus.code'),
            dataIndex: 'code',
            render: (v: string) => (
              <Button type="link" size="small" style={{ padding: 0 }} onClick={() => navigate(`/inventory/ledger?sku=${encodeURIComponent(v)}`)}>
                {v}
              </Button>
            ),
          },
          { title: t('skus.name'), dataIndex: 'name' },
          { title: t('skus.unit'), dataIndex: 'unit', width: 80 },
          { title: t('skus.priceCol'), dataIndex: 'price_cents', align: 'right', render: (v: number) => formatCents(v) },
          { title: t('skus.costMethod'), dataIndex: 'cost_method', render: (v: string) => costMethodLabel(t, v) },
          { title: t('skus.safety'), dataIndex: 'safety_stock', align: 'right' },
          {
            title: t('common.status'),
            dataIndex: 'active',
            render: (v: boolean) => (v ? <Tag color="green">{t('common.active')}</Tag> : <Tag>{t('common.inactive')}</Tag>),
          },
        ]}
      />
      <LoadMore count={list.items.length} hasMore={Boolean(list.next)} loading={list.loading} onLoadMore={list.loadMore} />
      <Modal
        open={open}
        title={t('skus.new')}
        onCancel={() => setOpen(false)}
        onOk={save}
        confirmLoading={saving}
        okText={t('common.save')}
        cancelText={t('common.cancel')}
        okButtonProps={{ 'data-testid': 'sku-save' }}
        forceRender
      >
        <Form form={form} layout="vertical" initialValues={{ unit: '件', cost_method: 'average', safety_stock: 0, price: '' }}>
          <Form.Item name="code" label={t('skus.code')} rules={[{ required: true, whitespace: true, max: 64 }]}>
            <Input data-testid="sku-form-code" />
          </Form.Item>
          <Form.Item name="name" label={t('skus.name')} rules={[{ required: true, whitespace: true }]}>
            <Input data-testid="sku-form-name" />
          </Form.Item>
          <Space.Compact block>
            <Form.Item name="unit" label={t('skus.unit')} rules={[{ required: true, whitespace: true }]} style={{ width: '30%' }}>
              <Input data-testid="sku-form-unit" />
            </Form.Item>
            <Form.Item
              name="price"
              label={t('skus.price')}
              style={{ width: '70%' }}
              rules={[
                {
                  validator: (_, v: string) => {
                    const c = parseYuanToCents(v ?? '');
                    return c !== null && c >= 0 ? Promise.resolve() : Promise.reject(new Error(t('skus.priceInvalid')));
                  },
                },
              ]}
            >
              <Input prefix="¥" inputMode="decimal" placeholder="0.00" data-testid="sku-form-price" />
            </Form.Item>
          </Space.Compact>
          <Form.Item name="cost_method" label={t('skus.costMethod')}>
            <Select
              data-testid="sku-form-cost-method"
              options={[
                { value: 'average', label: t('cost.average') },
                { value: 'fifo', label: t('cost.fifo') },
              ]}
            />
          </Form.Item>
          <Form.Item name="safety_stock" label={t('skus.safety')}>
            <InputNumber min={0} precision={0} style={{ width: '100%' }} data-testid="sku-form-safety" />
          </Form.Item>
        </Form>
      </Modal>
    </Card>
  );
}
