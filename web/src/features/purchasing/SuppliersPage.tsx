// Suppliers (供应商): terms (lead time, payment, currency, tolerance), the SKUs each supplies with
// price, MOQ and pack size, and the price history of a SKU.
import { useEffect, useState } from 'react';
import { App, Button, Card, Checkbox, Drawer, Form, Input, InputNumber, Modal, Select, Space, Table, Tag, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { api, unwrap } from '../../api/client';
import type { PricePoint, Supplier, SupplierSku } from '../../api/types';
import { errorText } from '../../components/useCursorList';
import { formatTime } from '../../format';
import { optLabel, useI18n } from '../../i18n';
import { centsToYuanInput, formatCents, formatQty, parseYuanToCents } from '../../money';
import { SkuSelect } from '../inventory/DocumentForm';
import { useSuppliers } from './purchasingCommon';

function SupplierForm({ open, editing, onClose, onSaved }: { open: boolean; editing: Supplier | null; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    if (!open) return;
    form.resetFields();
    form.setFieldsValue(editing ?? { lead_time_days: 7, currency: 'CNY', active: true });
  }, [open, editing, form]);
  const save = async () => {
    const v = await form.validateFields();
    setSaving(true);
    try {
      const body = { ...v, tolerance_pct: v.tolerance_pct ?? null };
      if (editing) await unwrap(api.PUT('/api/v1/purchasing/suppliers/{code}', { params: { path: { code: editing.code } }, body }));
      else await unwrap(api.POST('/api/v1/purchasing/suppliers', { body }));
      message.success(t('common.saved'));
      onSaved();
      onClose();
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setSaving(false);
    }
  };
  return (
    <Modal open={open} title={editing ? t('sup.edit') : t('sup.new')} onCancel={onClose} onOk={save} confirmLoading={saving} okButtonProps={{ 'data-testid': 'supplier-save' }}>
      <Form form={form} layout="vertical" size="small">
        <Space wrap>
          <Form.Item name="code" label={t('sup.code')} rules={[{ required: true }]}>
            <Input disabled={!!editing} data-testid="supplier-code" />
          </Form.Item>
          <Form.Item name="name" label={t('sup.name')} rules={[{ required: true }]}>
            <Input data-testid="supplier-name" style={{ width: 260 }} />
          </Form.Item>
        </Space>
        <Space wrap>
          <Form.Item name="contact_name" label={t('sup.contact')}>
            <Input />
          </Form.Item>
          <Form.Item name="phone" label={t('sup.phone')}>
            <Input />
          </Form.Item>
          <Form.Item name="email" label="Email">
            <Input />
          </Form.Item>
        </Space>
        <Form.Item name="address" label={t('sup.address')}>
          <Input />
        </Form.Item>
        <Space wrap>
          <Form.Item name="lead_time_days" label={t('sup.leadTime')} rules={[{ required: true }]}>
            <InputNumber min={0} max={365} precision={0} />
          </Form.Item>
          <Form.Item name="payment_terms" label={t('sup.paymentTerms')}>
            <Input placeholder={t('sup.paymentTermsHint')} />
          </Form.Item>
          <Form.Item name="currency" label={t('sup.currency')} rules={[{ required: true, len: 3 }]}>
            <Input style={{ width: 80 }} />
          </Form.Item>
          <Form.Item name="tolerance_pct" label={t('sup.tolerance')}>
            <InputNumber min={0} max={100} precision={0} placeholder={t('sup.toleranceDefault')} />
          </Form.Item>
          <Form.Item name="active" valuePropName="checked" label={t('sup.active')}>
            <Checkbox />
          </Form.Item>
        </Space>
      </Form>
    </Modal>
  );
}

function PriceHistory({ sku, onClose }: { sku: string | null; onClose: () => void }) {
  const { t } = useI18n();
  const [rows, setRows] = useState<PricePoint[]>([]);
  useEffect(() => {
    if (sku) unwrap(api.GET('/api/v1/purchasing/price-history', { params: { query: { sku } } })).then(setRows).catch(() => setRows([]));
  }, [sku]);
  return (
    <Modal open={!!sku} title={t('sup.priceHistory', { sku: sku ?? '' })} footer={null} onCancel={onClose} width={640}>
      <Table
        size="small"
        rowKey={(r) => `${r.supplier}-${r.at}-${r.price_cents}-${r.source}`}
        dataSource={rows}
        pagination={false}
        columns={[
          { title: t('sup.time'), dataIndex: 'at', render: formatTime },
          { title: t('sup.supplier'), dataIndex: 'supplier' },
          { title: t('sup.price'), dataIndex: 'price_cents', align: 'right', render: formatCents },
          { title: t('sup.source'), dataIndex: 'source', render: (s: string) => optLabel(t, 'sup.source', s) },
          { title: t('po.ref'), dataIndex: 'ref', render: (r: string | null) => r ?? '-' },
        ]}
      />
    </Modal>
  );
}

function SupplierSkus({ supplier, onClose }: { supplier: Supplier | null; onClose: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [rows, setRows] = useState<SupplierSku[]>([]);
  const [history, setHistory] = useState<string | null>(null);
  const [form] = Form.useForm();
  const load = () => {
    if (supplier) unwrap(api.GET('/api/v1/purchasing/supplier-skus', { params: { query: { supplier: supplier.code } } })).then(setRows).catch(() => setRows([]));
  };
  useEffect(load, [supplier]); // eslint-disable-line react-hooks/exhaustive-deps
  const add = async () => {
    if (!supplier) return;
    const v = await form.validateFields();
    const price = parseYuanToCents(String(v.price));
    if (price === null) {
      message.error(t('doc.needCost'));
      return;
    }
    try {
      const out = await unwrap(
        api.PUT('/api/v1/purchasing/suppliers/{code}/skus', {
          params: { path: { code: supplier.code } },
          body: { sku: v.sku, price_cents: price, moq: v.moq ?? 1, pack_size: v.pack_size ?? 1, preferred: !!v.preferred, supplier_sku_code: v.supplier_sku_code || null },
        }),
      );
      setRows(out);
      form.resetFields();
    } catch (e) {
      message.error(errorText(e));
    }
  };
  const remove = async (sku: string) => {
    if (!supplier) return;
    try {
      await api.DELETE('/api/v1/purchasing/suppliers/{code}/skus/{sku}', { params: { path: { code: supplier.code, sku } } });
      load();
    } catch (e) {
      message.error(errorText(e));
    }
  };
  const edit = (r: SupplierSku) => form.setFieldsValue({ ...r, price: centsToYuanInput(r.price_cents) });
  return (
    <Drawer open={!!supplier} width={860} title={supplier ? `${supplier.code} ${supplier.name} · ${t('sup.skus')}` : ''} onClose={onClose}>
      <Form form={form} layout="inline" size="small" style={{ marginBottom: 12, rowGap: 8 }}>
        <Form.Item name="sku" rules={[{ required: true }]}>
          <SkuSelect onChange={(code) => form.setFieldValue('sku', code)} testId="supplier-sku-select" />
        </Form.Item>
        <Form.Item name="price" rules={[{ required: true }]}>
          <Input placeholder={t('sup.priceYuan')} style={{ width: 110 }} data-testid="supplier-sku-price" />
        </Form.Item>
        <Form.Item name="moq">
          <InputNumber min={1} precision={0} placeholder="MOQ" />
        </Form.Item>
        <Form.Item name="pack_size">
          <InputNumber min={1} precision={0} placeholder={t('sup.pack')} />
        </Form.Item>
        <Form.Item name="supplier_sku_code">
          <Input placeholder={t('sup.supplierSkuCode')} style={{ width: 120 }} />
        </Form.Item>
        <Form.Item name="preferred" valuePropName="checked">
          <Checkbox>{t('sup.preferred')}</Checkbox>
        </Form.Item>
        <Button type="primary" icon={<PlusOutlined />} onClick={add} data-testid="supplier-sku-save">
          {t('common.save')}
        </Button>
      </Form>
      <Table
        size="small"
        rowKey="sku"
        dataSource={rows}
        pagination={false}
        columns={[
          { title: 'SKU', dataIndex: 'sku' },
          { title: t('sup.supplierSkuCode'), dataIndex: 'supplier_sku_code', render: (v: string | null) => v ?? '-' },
          { title: t('sup.price'), dataIndex: 'price_cents', align: 'right', render: formatCents },
          { title: 'MOQ', dataIndex: 'moq', align: 'right', render: formatQty },
          { title: t('sup.pack'), dataIndex: 'pack_size', align: 'right', render: formatQty },
          { title: t('sup.preferred'), dataIndex: 'preferred', render: (p: boolean) => (p ? <Tag color="blue">{t('sup.preferred')}</Tag> : null) },
          {
            title: '',
            key: 'ops',
            render: (_: unknown, r: SupplierSku) => (
              <Space size={4}>
                <Button size="small" type="link" onClick={() => edit(r)}>
                  {t('common.edit')}
                </Button>
                <Button size="small" type="link" onClick={() => setHistory(r.sku)}>
                  {t('sup.history')}
                </Button>
                <Button size="small" type="link" danger onClick={() => remove(r.sku)}>
                  {t('common.delete')}
                </Button>
              </Space>
            ),
          },
        ]}
      />
      <PriceHistory sku={history} onClose={() => setHistory(null)} />
    </Drawer>
  );
}

const APPROVALS = ['purchasing.po.approve', 'purchasing.po.approve_large'];

/** Purchasing settings: receiving tolerance, replenishment cover, approval thresholds by amount. */
function SettingsCard() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [tiers, setTiers] = useState<{ key: number; from: string; permission: string }[]>([]);
  useEffect(() => {
    unwrap(api.GET('/api/v1/purchasing/settings'))
      .then((s) => {
        form.setFieldsValue({ tolerance_pct: s.tolerance_pct, target_days: s.target_days, overstock_days: s.overstock_days });
        setTiers(s.approval_thresholds.map(([from, permission], i) => ({ key: i, from: centsToYuanInput(Number(from)), permission: String(permission) })));
      })
      .catch(() => setTiers([]));
  }, [form]);
  const save = async () => {
    const v = await form.validateFields();
    const thresholds: [number, string][] = [];
    for (const tier of tiers) {
      const cents = parseYuanToCents(tier.from);
      if (cents === null) {
        message.error(t('doc.needCost'));
        return;
      }
      thresholds.push([cents, tier.permission]);
    }
    try {
      await unwrap(api.PUT('/api/v1/purchasing/settings', { body: { ...v, approval_thresholds: thresholds } }));
      message.success(t('common.saved'));
    } catch (e) {
      message.error(errorText(e));
    }
  };
  return (
    <Card size="small" title={t('set.title')} style={{ marginTop: 12 }}>
      <Form form={form} layout="inline" size="small" style={{ rowGap: 8 }}>
        <Form.Item name="tolerance_pct" label={t('set.tolerance')} rules={[{ required: true }]}>
          <InputNumber min={0} max={100} precision={0} />
        </Form.Item>
        <Form.Item name="target_days" label={t('set.targetDays')} rules={[{ required: true }]}>
          <InputNumber min={1} max={3650} precision={0} />
        </Form.Item>
        <Form.Item name="overstock_days" label={t('set.overstockDays')} rules={[{ required: true }]}>
          <InputNumber min={1} max={3650} precision={0} />
        </Form.Item>
      </Form>
      <Typography.Text strong style={{ display: 'block', margin: '12px 0 4px' }}>
        {t('set.thresholds')}
      </Typography.Text>
      {tiers.map((tier) => (
        <Space key={tier.key} style={{ marginBottom: 4 }}>
          <span>{t('set.from')}</span>
          <Input size="small" style={{ width: 120 }} value={tier.from} disabled={tier.from === '0.00'} onChange={(e) => setTiers((p) => p.map((x) => (x.key === tier.key ? { ...x, from: e.target.value } : x)))} />
          <span>{t('set.needs')}</span>
          <Select size="small" style={{ width: 200 }} value={tier.permission} onChange={(v) => setTiers((p) => p.map((x) => (x.key === tier.key ? { ...x, permission: v } : x)))} options={APPROVALS.map((a) => ({ value: a, label: optLabel(t, 'perm', a) }))} />
          {tier.from !== '0.00' && (
            <Button size="small" type="link" danger onClick={() => setTiers((p) => p.filter((x) => x.key !== tier.key))}>
              {t('common.delete')}
            </Button>
          )}
        </Space>
      ))}
      <Space style={{ display: 'flex', marginTop: 8 }}>
        <Button size="small" icon={<PlusOutlined />} onClick={() => setTiers((p) => [...p, { key: Date.now(), from: '', permission: APPROVALS[1] }])}>
          {t('set.addTier')}
        </Button>
        <Button size="small" type="primary" onClick={save}>
          {t('common.save')}
        </Button>
      </Space>
    </Card>
  );
}

export default function SuppliersPage() {
  const { t } = useI18n();
  const [suppliers, reload] = useSuppliers();
  const [editing, setEditing] = useState<Supplier | null>(null);
  const [formOpen, setFormOpen] = useState(false);
  const [skusOf, setSkusOf] = useState<Supplier | null>(null);
  return (
    <Card
      title={<Typography.Text strong>{t('menu.suppliers')}</Typography.Text>}
      extra={
        <Button type="primary" icon={<PlusOutlined />} data-testid="supplier-new" onClick={() => { setEditing(null); setFormOpen(true); }}>
          {t('sup.new')}
        </Button>
      }
    >
      <Table
        size="small"
        rowKey="code"
        dataSource={suppliers}
        pagination={false}
        data-testid="supplier-table"
        columns={[
          { title: t('sup.code'), dataIndex: 'code' },
          { title: t('sup.name'), dataIndex: 'name' },
          { title: t('sup.contact'), dataIndex: 'contact_name', render: (v: string | null, r: Supplier) => [v, r.phone].filter(Boolean).join(' ') || '-' },
          { title: t('sup.leadTime'), dataIndex: 'lead_time_days', align: 'right' },
          { title: t('sup.paymentTerms'), dataIndex: 'payment_terms', render: (v: string | null) => v ?? '-' },
          { title: t('sup.currency'), dataIndex: 'currency' },
          { title: t('sup.tolerance'), dataIndex: 'tolerance_pct', render: (v: number | null) => (v === null || v === undefined ? t('sup.toleranceDefault') : `${v}%`) },
          { title: t('sup.active'), dataIndex: 'active', render: (a: boolean) => (a ? <Tag color="green">{t('sup.active')}</Tag> : <Tag>{t('sup.inactive')}</Tag>) },
          {
            title: '',
            key: 'ops',
            render: (_: unknown, r: Supplier) => (
              <Space size={4}>
                <Button size="small" type="link" onClick={() => { setEditing(r); setFormOpen(true); }}>
                  {t('common.edit')}
                </Button>
                <Button size="small" type="link" data-testid={`supplier-skus-${r.code}`} onClick={() => setSkusOf(r)}>
                  {t('sup.skus')}
                </Button>
              </Space>
            ),
          },
        ]}
      />
      <SupplierForm open={formOpen} editing={editing} onClose={() => setFormOpen(false)} onSaved={reload} />
      <SupplierSkus supplier={skusOf} onClose={() => setSkusOf(null)} />
      <SettingsCard />
    </Card>
  );
}
