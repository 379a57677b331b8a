// 新建组合套餐: a bundle (gift box, kit) of standard SKUs and how many of each go in one. Its
// components are fixed once created; its stock is what its components make.
import { useCallback, useEffect, useRef, useState } from 'react';
import { Alert, App, Button, Form, Input, InputNumber, Modal, Select, Space, Table } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { api, unwrap } from '../../api/client';
import type { Sku } from '../../api/types';
import { errorText } from '../../components/useCursorList';
import { useI18n } from '../../i18n';
import { parseYuanToCents } from '../../money';

interface Line {
  key: number;
  sku?: string;
  qty: number | null;
}

let seq = 0;

/** Picks a standard, active SKU (by code, name or barcode). */
function ComponentSelect({ value, onChange }: { value?: string; onChange: (code: string) => void }) {
  const { t } = useI18n();
  const [options, setOptions] = useState<Sku[]>([]);
  const timer = useRef<number | undefined>(undefined);
  const run = useCallback((q: string) => {
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => {
      unwrap(api.GET('/api/v1/catalog/skus', { params: { query: { ...(q ? { q } : {}), kind: 'standard', active: true, limit: 20 } } }))
        .then((p) => setOptions(p.items))
        .catch(() => setOptions([]));
    }, 200);
  }, []);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  const opts = options.map((s) => ({ value: s.code, label: `${s.code} ${s.name}` }));
  if (value && !opts.some((o) => o.value === value)) opts.unshift({ value, label: value });
  return (
    <Select
      showSearch
      value={value}
      filterOption={false}
      onSearch={run}
      onFocus={() => options.length === 0 && run('')}
      onChange={onChange}
      options={opts}
      placeholder={t('doc.skuPlaceholder')}
      style={{ width: '100%' }}
      popupMatchSelectWidth={360}
      data-testid="bundle-component-sku"
    />
  );
}

export default function BundleEditor({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: (sku: Sku) => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ code: string; name: string; unit: string; price: string; barcodes: string[] }>();
  const [lines, setLines] = useState<Line[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    if (!open) return;
    form.resetFields();
    setLines([{ key: ++seq, qty: 1 }, { key: ++seq, qty: 1 }]);
    setError(null);
  }, [open, form]);

  const update = (key: number, patch: Partial<Line>) => setLines((p) => p.map((l) => (l.key === key ? { ...l, ...patch } : l)));

  const save = async () => {
    setError(null);
    let v;
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    const filled = lines.filter((l) => l.sku);
    if (!filled.length) return setError(t('catalog.bundleNeedsComponents'));
    if (filled.some((l) => !l.qty || l.qty < 1)) return setError(t('doc.needPositiveQty'));
    if (new Set(filled.map((l) => l.sku)).size !== filled.length) return setError(t('catalog.bundleDuplicate'));
    setSaving(true);
    try {
      const sku = await unwrap(
        api.POST('/api/v1/catalog/skus', {
          body: {
            code: v.code.trim(),
            name: v.name.trim(),
            unit: v.unit.trim(),
            price_cents: parseYuanToCents(v.price) ?? 0,
            cost_method: 'average',
            safety_stock: 0,
            barcodes: v.barcodes ?? [],
            tracking: 'none',
            kind: 'bundle',
            components: filled.map((l) => ({ sku: l.sku!, qty: l.qty! })),
          },
        }),
      );
      message.success(t('catalog.bundleCreated', { code: sku.code }));
      onCreated(sku);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      open={open}
      title={t('catalog.newBundle')}
      onCancel={onClose}
      onOk={save}
      confirmLoading={saving}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      okButtonProps={{ 'data-testid': 'bundle-save' }}
      width={720}
      forceRender
    >
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} />}
      <Form form={form} layout="vertical" initialValues={{ unit: '盒', price: '', barcodes: [] }}>
        <Space.Compact block>
          <Form.Item name="code" label={t('skus.code')} style={{ width: '35%' }} rules={[{ required: true, pattern: /^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$/, message: t('catalog.badCode') }]}>
            <Input data-testid="bundle-form-code" />
          </Form.Item>
          <Form.Item name="name" label={t('skus.name')} style={{ width: '65%' }} rules={[{ required: true, whitespace: true, max: 200 }]}>
            <Input data-testid="bundle-form-name" />
          </Form.Item>
        </Space.Compact>
        <Space.Compact block>
          <Form.Item name="unit" label={t('skus.unit')} style={{ width: '20%' }} rules={[{ required: true, whitespace: true, max: 16 }]}>
            <Input />
          </Form.Item>
          <Form.Item
            name="price"
            label={t('skus.price')}
            style={{ width: '30%' }}
            rules={[{ validator: (_, val: string) => (parseYuanToCents(val ?? '') !== null ? Promise.resolve() : Promise.reject(new Error(t('skus.priceInvalid')))) }]}
          >
            <Input prefix="¥" data-testid="bundle-form-price" />
          </Form.Item>
          <Form.Item name="barcodes" label={t('catalog.barcodes')} style={{ width: '50%' }}>
            <Select mode="tags" open={false} tokenSeparators={[',', ' ', '，']} placeholder={t('catalog.barcodePlaceholder')} />
          </Form.Item>
        </Space.Compact>
      </Form>
      <Table<Line>
        size="small"
        rowKey="key"
        pagination={false}
        dataSource={lines}
        data-testid="bundle-components"
        onRow={() => ({ 'data-testid': 'bundle-component' }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          { title: t('catalog.component'), key: 'sku', render: (_, l) => <ComponentSelect value={l.sku} onChange={(c) => update(l.key, { sku: c })} /> },
          {
            title: t('catalog.qtyPerBundle'),
            key: 'qty',
            width: 140,
            render: (_, l) => <InputNumber min={1} max={10000} precision={0} value={l.qty} onChange={(q) => update(l.key, { qty: q })} data-testid="bundle-component-qty" />,
          },
          {
            title: '',
            key: 'x',
            width: 48,
            render: (_, l) => <Button type="text" danger icon={<DeleteOutlined />} onClick={() => setLines((p) => p.filter((x) => x.key !== l.key))} />,
          },
        ]}
      />
      <Button icon={<PlusOutlined />} style={{ marginTop: 8 }} onClick={() => setLines((p) => [...p, { key: ++seq, qty: 1 }])} data-testid="bundle-add-component">
        {t('catalog.addComponent')}
      </Button>
    </Modal>
  );
}
