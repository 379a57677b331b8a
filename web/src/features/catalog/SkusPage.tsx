import { useState } from 'react';
import { App, Button, Card, Form, Input, InputNumber, Modal, Select, Space, Table, Tag, Typography } from 'antd';
import { GiftOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import type { Sku } from '../../api/types';
import LoadMore from '../../components/LoadMore';
import { errorText, useCursorList } from '../../components/useCursorList';
import { costMethodLabel, useI18n } from '../../i18n';
import { formatCents, parseYuanToCents } from '../../money';
import { useAuth } from '../../auth';
import BundleEditor from './BundleEditor';
import SkuDrawer from './SkuDrawer';
import { SkuKindTag } from './catalogCommon';

interface FormValues {
  code: string;
  name: string;
  unit: string;
  price: string;
  cost_method: components['schemas']['SkuIn']['cost_method'];
  safety_stock: number;
  barcodes: string[];
  tracking: components['schemas']['SkuIn']['tracking'];
}

export default function SkusPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const { can } = useAuth();
  const [params, setParams] = useSearchParams();
  const [q, setQ] = useState('');
  const [kind, setKind] = useState<'' | 'standard' | 'bundle'>('');
  const [open, setOpen] = useState(false);
  const [bundleOpen, setBundleOpen] = useState(false);
  const detail = params.get('sku') ? Number(params.get('sku')) : null;
  const showSku = (id: number | null) => {
    const next = new URLSearchParams(params);
    if (id === null) next.delete('sku');
    else next.set('sku', String(id));
    setParams(next, { replace: true });
  };
  const [saving, setSaving] = useState(false);
  const [form] = Form.useForm<FormValues>();

  const list = useCursorList<Sku>(
    (cursor) =>
      unwrap(
        api.GET('/api/v1/catalog/skus', {
          params: { query: { ...(q ? { q } : {}), ...(kind ? { kind } : {}), ...(cursor ? { cursor } : {}) } },
        }),
      ),
    [q, kind],
  );

  const save = async () => {
    const v = await form.validateFields();
    const price_cents = parseYuanToCents(v.price);
    if (price_cents === null) return;
    setSaving(true);
    try {
      await unwrap(api.POST('/api/v1/catalog/skus', {
          body: { code: v.code.trim(), name: v.name.trim(), unit: v.unit.trim(), price_cents, cost_method: v.cost_method, safety_stock: v.safety_stock ?? 0, barcodes: v.barcodes ?? [], tracking: v.tracking, kind: 'standard', components: [] },
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
          <Select
            style={{ width: 120 }}
            value={kind}
            onChange={setKind}
            data-testid="sku-filter-kind"
            options={[
              { value: '', label: t('catalog.allKinds') },
              { value: 'standard', label: t('catalog.kind.standard') },
              { value: 'bundle', label: t('catalog.kind.bundle') },
            ]}
          />
          <Input.Search allowClear placeholder={t('skus.searchBarcode')} style={{ width: 240 }} onSearch={(v) => setQ(v.trim())} data-testid="sku-search" />
          <Button icon={<ReloadOutlined />} onClick={() => list.reload()} />
          {can('catalog.sku.create') && (
            <Button icon={<GiftOutlined />} onClick={() => setBundleOpen(true)} data-testid="bundle-new">
              {t('catalog.newBundle')}
            </Button>
          )}
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
        onRow={(r) => ({ onClick: () => showSku(r.id), style: { cursor: 'pointer' } })}
        columns={[
          {
            title: t('skus.code'),
            dataIndex: 'code',
            render: (v: string, r) => (
              <Space size={4}>
                <Typography.Link data-testid="sku-code">{v}</Typography.Link>
                <SkuKindTag kind={r.kind} />
              </Space>
            ),
          },
          { title: t('skus.name'), dataIndex: 'name' },
          {
            title: t('catalog.product'),
            dataIndex: 'product_code',
            render: (v: string | null, r) =>
              v ? (
                <Link to={`/catalog/products/${r.product_id}`} onClick={(e) => e.stopPropagation()}>
                  {v}
                </Link>
              ) : (
                '-'
              ),
          },
          { title: t('catalog.barcodes'), dataIndex: 'barcodes', render: (v: string[]) => <span data-testid="sku-barcodes">{v.join(', ') || '-'}</span> },
          { title: t('skus.unit'), dataIndex: 'unit', width: 70 },
          { title: t('skus.priceCol'), dataIndex: 'price_cents', align: 'right', render: (v: number) => formatCents(v) },
          { title: t('skus.costMethod'), dataIndex: 'cost_method', render: (v: string) => costMethodLabel(t, v) },
          { title: t('skus.safety'), dataIndex: 'safety_stock', align: 'right' },
          {
            title: t('common.status'),
            dataIndex: 'active',
            render: (v: boolean) => (v ? <Tag color="green">{t('common.active')}</Tag> : <Tag>{t('common.inactive')}</Tag>),
          },
          {
            title: t('common.actions'),
            key: 'ledger',
            render: (_, r) => (
              <Button
                type="link"
                size="small"
                style={{ padding: 0 }}
                onClick={(e) => {
                  e.stopPropagation();
                  navigate(`/inventory/ledger?sku=${encodeURIComponent(r.code)}`);
                }}
              >
                {t('menu.ledger')}
              </Button>
            ),
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
        <Form form={form} layout="vertical" initialValues={{ unit: '件', cost_method: 'average', safety_stock: 0, price: '', barcodes: [], tracking: 'none' }}>
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
          <Form.Item name="tracking" label={t('catalog.tracking')} extra={t('catalog.trackingFixed')}>
            <Select
              options={[
                { value: 'none', label: t('catalog.tracking.none') },
                { value: 'batch', label: t('catalog.tracking.batch') },
                { value: 'serial', label: t('catalog.tracking.serial') },
              ]}
            />
          </Form.Item>
          <Form.Item name="barcodes" label={t('catalog.barcodes')}>
            <Select mode="tags" open={false} tokenSeparators={[',', ' ', '，']} placeholder={t('catalog.barcodePlaceholder')} data-testid="sku-form-barcodes" />
          </Form.Item>
        </Form>
      </Modal>
      <BundleEditor
        open={bundleOpen}
        onClose={() => setBundleOpen(false)}
        onCreated={(sku) => {
          setBundleOpen(false);
          void list.reload();
          showSku(sku.id);
        }}
      />
      <SkuDrawer skuId={detail} onClose={() => showSku(null)} />
    </Card>
  );
}
