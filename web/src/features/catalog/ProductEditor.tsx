// 商品编辑: a product's fields and images, its attribute definitions (颜色, 尺码 …) and the SKU
// matrix they generate — one row per combination, each with its code, price and barcodes, and
// a switch to leave it out (a new product) or archive it (an existing SKU).
import { useCallback, useEffect, useMemo, useState } from 'react';
import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Form,
  Input,
  InputNumber,
  Row,
  Select,
  Space,
  Spin,
  Switch,
  Table,
  Tag,
  Typography,
  Upload,
} from 'antd';
import { ArrowLeftOutlined, DeleteOutlined, LeftOutlined, PlusOutlined, RightOutlined, ThunderboltOutlined, UploadOutlined } from '@ant-design/icons';
import { useNavigate, useParams } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import type { ProductDetail, ProductSkuIn, Sku } from '../../api/types';
import { useAuth } from '../../auth';
import { errorText } from '../../components/useCursorList';
import { useI18n, type MsgKey } from '../../i18n';
import { centsToYuanInput, parseYuanToCents } from '../../money';
import { BrandSelect, CategorySelect, ProductImage, ProductStatusTag, fileBody, useBrands, useCategories } from './catalogCommon';

const CODE_RE = /^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$/;
const MAX_MATRIX = 500;

interface AttrDef {
  key: number;
  name: string;
  values: string[];
}

interface MatrixRow {
  key: string; // the combination
  attributes: Record<string, string>;
  sku?: Sku; // an existing SKU
  enabled: boolean;
  code: string;
  name: string; // empty: the product name and the values
  price: string;
  safety: number;
  barcodes: string[];
}

interface HeadValues {
  code: string;
  name: string;
  category?: string | null;
  brand?: string | null;
  description?: string;
  unit: string;
  cost_method: 'average' | 'fifo';
  tracking: 'none' | 'batch' | 'serial';
  shelf_life_days?: number | null;
}

let attrSeq = 0;
const comboKey = (a: Record<string, string>) => JSON.stringify(Object.keys(a).sort().map((k) => [k, a[k]]));

function combinations(defs: AttrDef[]): Record<string, string>[] {
  const used = defs.filter((d) => d.name.trim() && d.values.length);
  if (!used.length) return [{}];
  let out: Record<string, string>[] = [{}];
  for (const d of used) out = out.flatMap((o) => d.values.map((v) => ({ ...o, [d.name.trim()]: v })));
  return out;
}

/** A default SKU code: the product code and, per attribute, the value (when it is ASCII) or its number. */
function defaultCode(productCode: string, defs: AttrDef[], attrs: Record<string, string>): string {
  const parts = defs
    .filter((d) => d.name.trim() && attrs[d.name.trim()] !== undefined)
    .map((d) => {
      const v = attrs[d.name.trim()];
      return /^[A-Za-z0-9]+$/.test(v) ? v.toUpperCase() : String(d.values.indexOf(v) + 1);
    });
  return [productCode || 'SKU', ...parts].join('-').slice(0, 64);
}

function rowFromSku(s: Sku): MatrixRow {
  const attributes = (s.attributes ?? {}) as Record<string, string>;
  return {
    key: comboKey(attributes),
    attributes,
    sku: s,
    enabled: s.active,
    code: s.code,
    name: s.name,
    price: centsToYuanInput(s.price_cents),
    safety: s.safety_stock,
    barcodes: [...s.barcodes],
  };
}

export default function ProductEditor() {
  const { id } = useParams();
  const productId = id && id !== 'new' ? Number(id) : null;
  const { t } = useI18n();
  const { message } = App.useApp();
  const { can } = useAuth();
  const navigate = useNavigate();
  const [form] = Form.useForm<HeadValues>();
  const [categories] = useCategories();
  const [brands] = useBrands();
  const [product, setProduct] = useState<ProductDetail | null>(null);
  const [loading, setLoading] = useState(Boolean(productId));
  const [defs, setDefs] = useState<AttrDef[]>([]);
  const [rows, setRows] = useState<MatrixRow[]>([]);
  const [images, setImages] = useState<string[]>([]);
  const [bulkPrice, setBulkPrice] = useState('');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const canEdit = productId ? can('catalog.product.update') : can('catalog.product.create');

  const load = useCallback(
    async (pid: number) => {
      setLoading(true);
      try {
        const p = await unwrap(api.GET('/api/v1/catalog/products/{product_id}', { params: { path: { product_id: pid } } }));
        setProduct(p);
        form.setFieldsValue({
          code: p.code,
          name: p.name,
          category: p.category_code,
          brand: p.brand_code,
          description: p.description,
          unit: p.skus[0]?.unit ?? '件',
          cost_method: (p.skus[0]?.cost_method as HeadValues['cost_method']) ?? 'average',
          tracking: (p.skus[0]?.tracking as HeadValues['tracking']) ?? 'none',
        });
        const loaded = p.attributes.map((a) => ({ key: ++attrSeq, name: a.name, values: [...a.values] }));
        setDefs(loaded);
        setImages([...p.images]);
        // In matrix order (the order the definitions list the values), whatever order they were added in.
        const order = new Map(combinations(loaded).map((c, i) => [comboKey(c), i]));
        const rank = (r: MatrixRow) => order.get(r.key) ?? order.size;
        setRows(p.skus.map(rowFromSku).sort((a, b) => rank(a) - rank(b)));
        setError(null);
      } catch (e) {
        setError(errorText(e));
      } finally {
        setLoading(false);
      }
    },
    [form],
  );

  useEffect(() => {
    if (productId) void load(productId);
    else {
      form.resetFields();
      setDefs([{ key: ++attrSeq, name: '', values: [] }]);
      setRows([]);
      setImages([]);
      setProduct(null);
    }
  }, [productId, load, form]);

  const updateDef = (key: number, patch: Partial<AttrDef>) => setDefs((prev) => prev.map((d) => (d.key === key ? { ...d, ...patch } : d)));
  const updateRow = (key: string, patch: Partial<MatrixRow>) => setRows((prev) => prev.map((r) => (r.key === key ? { ...r, ...patch } : r)));

  /** Rows for every combination: existing SKUs and rows already edited stay as they are. */
  const generate = () => {
    const named = defs.filter((d) => d.name.trim());
    const names = named.map((d) => d.name.trim());
    if (new Set(names).size !== names.length) return setError(t('catalog.attrDuplicate'));
    if (named.some((d) => !d.values.length)) return setError(t('catalog.attrNeedsValues'));
    const combos = combinations(named);
    if (combos.length > MAX_MATRIX) return setError(t('catalog.matrixTooBig', { max: MAX_MATRIX }));
    setError(null);
    const productCode = (form.getFieldValue('code') as string | undefined)?.trim() ?? '';
    const have = new Map(rows.map((r) => [r.key, r]));
    const next: MatrixRow[] = combos.map((attributes) => {
      const key = comboKey(attributes);
      return (
        have.get(key) ?? {
          key,
          attributes,
          enabled: true,
          code: defaultCode(productCode, named, attributes),
          name: '',
          price: bulkPrice,
          safety: 0,
          barcodes: [],
        }
      );
    });
    // Existing SKUs whose values are gone from the definitions stay listed (the server refuses to drop them).
    for (const r of rows) if (r.sku && !next.some((n) => n.key === r.key)) next.push(r);
    setRows(next);
  };

  const applyBulkPrice = () => {
    if (parseYuanToCents(bulkPrice) === null) return setError(t('skus.priceInvalid'));
    setError(null);
    setRows((prev) => prev.map((r) => (r.enabled ? { ...r, price: bulkPrice } : r)));
  };

  const upload = async (file: File) => {
    try {
      const img = await unwrap(api.POST('/api/v1/catalog/images', fileBody(file)));
      setImages((prev) => (prev.includes(img.name) ? prev : [...prev, img.name]));
    } catch (e) {
      message.error(errorText(e));
    }
  };

  const moveImage = (i: number, by: number) =>
    setImages((prev) => {
      const next = [...prev];
      const j = i + by;
      if (j < 0 || j >= next.length) return prev;
      [next[i], next[j]] = [next[j], next[i]];
      return next;
    });

  /** Check the enabled rows; an error message names the first bad one. */
  const check = (list: MatrixRow[]): string | null => {
    const codes = new Set<string>();
    const barcodes = new Set<string>();
    for (const [i, r] of list.entries()) {
      const bad = (key: MsgKey, p?: Record<string, string | number>) => t('catalog.rowInvalid', { n: i + 1, msg: t(key, p) });
      if (!CODE_RE.test(r.code)) return bad('catalog.badCode');
      if (codes.has(r.code)) return bad('catalog.duplicateCode', { code: r.code });
      codes.add(r.code);
      const cents = parseYuanToCents(r.price);
      if (cents === null || cents < 0) return bad('skus.priceInvalid');
      for (const b of r.barcodes) {
        if (!CODE_RE.test(b)) return bad('catalog.badBarcode', { code: b });
        if (barcodes.has(b)) return bad('catalog.duplicateBarcode', { code: b });
        barcodes.add(b);
      }
    }
    return null;
  };

  const attributesBody = () => defs.filter((d) => d.name.trim() && d.values.length).map((d) => ({ name: d.name.trim(), values: d.values }));

  const newSkuBody = (r: MatrixRow, head: HeadValues): ProductSkuIn => ({
    code: r.code.trim(),
    name: r.name.trim() || null,
    unit: head.unit.trim(),
    price_cents: parseYuanToCents(r.price) ?? 0,
    cost_method: head.cost_method,
    safety_stock: r.safety ?? 0,
    attributes: r.attributes,
    barcodes: r.barcodes,
    tracking: head.tracking,
    shelf_life_days: head.shelf_life_days ?? null,
    kind: 'standard',
    components: [],
  });

  const save = async () => {
    setError(null);
    let head: HeadValues;
    try {
      head = await form.validateFields();
    } catch {
      return;
    }
    const fresh = rows.filter((r) => !r.sku && r.enabled);
    const problem = check(rows.filter((r) => r.enabled || r.sku));
    if (problem) return setError(problem);
    setSaving(true);
    try {
      if (!productId) {
        const p = await unwrap(
          api.POST('/api/v1/catalog/products', {
            body: {
              code: head.code.trim(),
              name: head.name.trim(),
              category: head.category ?? null,
              brand: head.brand ?? null,
              description: head.description ?? '',
              images,
              attributes: attributesBody(),
              skus: fresh.map((r) => newSkuBody(r, head)),
            },
          }),
        );
        message.success(t('catalog.productCreated', { code: p.code, n: p.skus.length }));
        navigate(`/catalog/products/${p.id}`, { replace: true });
        return;
      }
      await unwrap(
        api.PATCH('/api/v1/catalog/products/{product_id}', {
          params: { path: { product_id: productId } },
          body: {
            name: head.name.trim(),
            category: head.category ?? null,
            brand: head.brand ?? null,
            description: head.description ?? '',
            images,
            attributes: attributesBody(),
          },
        }),
      );
      for (const r of rows) {
        const s = r.sku;
        if (!s) continue;
        const body: Record<string, unknown> = {};
        const cents = parseYuanToCents(r.price);
        if (r.name.trim() && r.name.trim() !== s.name) body.name = r.name.trim();
        if (cents !== null && cents !== s.price_cents) body.price_cents = cents;
        if ((r.safety ?? 0) !== s.safety_stock) body.safety_stock = r.safety ?? 0;
        if (r.barcodes.join('\n') !== s.barcodes.join('\n')) body.barcodes = r.barcodes;
        if (Object.keys(body).length) {
          await unwrap(api.PATCH('/api/v1/catalog/skus/{sku_id}', { params: { path: { sku_id: s.id } }, body }));
        }
        if (r.enabled !== s.active) {
          const path = r.enabled ? '/api/v1/catalog/skus/{sku_id}/unarchive' : '/api/v1/catalog/skus/{sku_id}/archive';
          await unwrap(api.POST(path, { params: { path: { sku_id: s.id } } }));
        }
      }
      if (fresh.length) {
        await unwrap(
          api.POST('/api/v1/catalog/products/{product_id}/skus', {
            params: { path: { product_id: productId } },
            body: { skus: fresh.map((r) => newSkuBody(r, head)) },
          }),
        );
      }
      message.success(t('common.saved'));
      await load(productId);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setSaving(false);
    }
  };

  const setProductStatus = async (archive: boolean) => {
    if (!productId) return;
    try {
      const path = archive ? '/api/v1/catalog/products/{product_id}/archive' : '/api/v1/catalog/products/{product_id}/unarchive';
      await unwrap(api.POST(path, { params: { path: { product_id: productId } } }));
      await load(productId);
    } catch (e) {
      message.error(errorText(e));
    }
  };

  const attrNames = useMemo(() => defs.map((d) => d.name.trim()).filter(Boolean), [defs]);
  const enabledCount = rows.filter((r) => r.enabled).length;

  if (loading) return <Spin style={{ display: 'block', margin: '48px auto' }} />;

  return (
    <Card
      size="small"
      title={
        <Space>
          <Button type="text" size="small" icon={<ArrowLeftOutlined />} onClick={() => navigate('/catalog/products')} />
          <span data-testid="product-editor-title">{productId ? t('catalog.editProduct', { code: product?.code ?? '' }) : t('catalog.newProduct')}</span>
          {product && <ProductStatusTag status={product.status} />}
        </Space>
      }
      extra={
        canEdit && (
          <Space>
            {product && (
              <Button danger={product.status === 'active'} onClick={() => setProductStatus(product.status === 'active')} data-testid="product-editor-archive">
                {product.status === 'active' ? t('catalog.archive') : t('catalog.unarchive')}
              </Button>
            )}
            <Button type="primary" loading={saving} onClick={save} data-testid="product-save">
              {t('common.save')}
            </Button>
          </Space>
        )
      }
      data-testid="product-editor"
    >
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} data-testid="product-error" closable onClose={() => setError(null)} />}
      <Form form={form} layout="vertical" initialValues={{ unit: '件', cost_method: 'average', tracking: 'none', description: '' }} disabled={!canEdit}>
        <Row gutter={16}>
          <Col span={6}>
            <Form.Item name="code" label={t('catalog.productCode')} rules={[{ required: true, pattern: CODE_RE, message: t('catalog.badCode') }]}>
              <Input disabled={Boolean(productId)} data-testid="product-form-code" />
            </Form.Item>
          </Col>
          <Col span={10}>
            <Form.Item name="name" label={t('catalog.productName')} rules={[{ required: true, whitespace: true, max: 200 }]}>
              <Input data-testid="product-form-name" />
            </Form.Item>
          </Col>
          <Col span={4}>
            <Form.Item name="category" label={t('catalog.category')}>
              <CategorySelect categories={categories} testId="product-form-category" />
            </Form.Item>
          </Col>
          <Col span={4}>
            <Form.Item name="brand" label={t('catalog.brand')}>
              <BrandSelect brands={brands} testId="product-form-brand" />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item name="description" label={t('catalog.description')}>
          <Input.TextArea rows={2} maxLength={20000} data-testid="product-form-description" />
        </Form.Item>
        <Form.Item label={t('catalog.images')}>
          <Space wrap align="start" data-testid="product-images">
            {images.map((name, i) => (
              <div key={name} style={{ textAlign: 'center' }}>
                <ProductImage name={name} size={88} />
                <div>
                  <Button size="small" type="text" icon={<LeftOutlined />} disabled={i === 0} onClick={() => moveImage(i, -1)} />
                  <Button size="small" type="text" danger icon={<DeleteOutlined />} onClick={() => setImages((p) => p.filter((x) => x !== name))} />
                  <Button size="small" type="text" icon={<RightOutlined />} disabled={i === images.length - 1} onClick={() => moveImage(i, 1)} />
                </div>
              </div>
            ))}
            {canEdit && images.length < 20 && (
              <Upload
                accept="image/png,image/jpeg,image/webp"
                multiple
                showUploadList={false}
                beforeUpload={(file) => {
                  void upload(file);
                  return false;
                }}
              >
                <Button icon={<UploadOutlined />} style={{ width: 88, height: 88 }} data-testid="product-image-upload">
                  {t('catalog.upload')}
                </Button>
              </Upload>
            )}
          </Space>
          <Typography.Text type="secondary" style={{ display: 'block' }}>
            {t('catalog.imageHint')}
          </Typography.Text>
        </Form.Item>

        <Typography.Title level={5}>{t('catalog.attributes')}</Typography.Title>
        <Typography.Paragraph type="secondary">{productId && rows.length ? t('catalog.attrHintExisting') : t('catalog.attrHint')}</Typography.Paragraph>
        {defs.map((d, i) => (
          <Space key={d.key} align="start" style={{ display: 'flex', marginBottom: 8 }} data-testid="attr-def">
            <Input
              style={{ width: 160 }}
              placeholder={t('catalog.attrName')}
              value={d.name}
              maxLength={32}
              onChange={(e) => updateDef(d.key, { name: e.target.value })}
              data-testid={`attr-name-${i}`}
            />
            <Select
              mode="tags"
              style={{ minWidth: 420 }}
              placeholder={t('catalog.attrValues')}
              value={d.values}
              tokenSeparators={[',', '，']}
              open={false}
              suffixIcon={null}
              onChange={(v: string[]) => updateDef(d.key, { values: [...new Set(v.map((x) => x.trim()).filter(Boolean))] })}
              data-testid={`attr-values-${i}`}
            />
            <Button icon={<DeleteOutlined />} onClick={() => setDefs((p) => p.filter((x) => x.key !== d.key))} disabled={!canEdit} />
          </Space>
        ))}
        <Space style={{ marginBottom: 16 }} wrap>
          <Button icon={<PlusOutlined />} disabled={!canEdit || defs.length >= 5} onClick={() => setDefs((p) => [...p, { key: ++attrSeq, name: '', values: [] }])} data-testid="attr-add">
            {t('catalog.attrAdd')}
          </Button>
          <Button type="primary" ghost icon={<ThunderboltOutlined />} disabled={!canEdit} onClick={generate} data-testid="matrix-generate">
            {t('catalog.generate')}
          </Button>
        </Space>

        <Typography.Title level={5}>
          {t('catalog.skuMatrix')} <Tag>{t('catalog.enabledCount', { n: enabledCount, total: rows.length })}</Tag>
        </Typography.Title>
        <Row gutter={16}>
          <Col span={4}>
            <Form.Item name="unit" label={t('catalog.newSkuUnit')} rules={[{ required: true, whitespace: true, max: 16 }]}>
              <Input data-testid="product-form-unit" />
            </Form.Item>
          </Col>
          <Col span={5}>
            <Form.Item name="cost_method" label={t('skus.costMethod')}>
              <Select options={[{ value: 'average', label: t('cost.average') }, { value: 'fifo', label: t('cost.fifo') }]} />
            </Form.Item>
          </Col>
          <Col span={5}>
            <Form.Item name="tracking" label={t('catalog.tracking')}>
              <Select
                options={[
                  { value: 'none', label: t('catalog.tracking.none') },
                  { value: 'batch', label: t('catalog.tracking.batch') },
                  { value: 'serial', label: t('catalog.tracking.serial') },
                ]}
              />
            </Form.Item>
          </Col>
          <Col span={4}>
            <Form.Item name="shelf_life_days" label={t('catalog.shelfLife')}>
              <InputNumber min={1} max={36500} precision={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col span={6}>
            <Form.Item label={t('catalog.bulkPrice')}>
              <Space.Compact style={{ width: '100%' }}>
                <Input prefix="¥" value={bulkPrice} onChange={(e) => setBulkPrice(e.target.value)} placeholder="0.00" data-testid="matrix-bulk-price" />
                <Button onClick={applyBulkPrice} disabled={!canEdit} data-testid="matrix-bulk-apply">
                  {t('catalog.apply')}
                </Button>
              </Space.Compact>
            </Form.Item>
          </Col>
        </Row>
      </Form>
      <Typography.Paragraph type="secondary">{t('catalog.matrixHint')}</Typography.Paragraph>
      <Table<MatrixRow>
        size="small"
        rowKey="key"
        dataSource={rows}
        pagination={false}
        data-testid="matrix-table"
        onRow={() => ({ 'data-testid': 'matrix-row' }) as React.HTMLAttributes<HTMLElement>}
        locale={{ emptyText: t('catalog.matrixEmpty') }}
        columns={[
          {
            title: t('catalog.enabled'),
            key: 'enabled',
            width: 64,
            render: (_, r) => <Switch size="small" checked={r.enabled} disabled={!canEdit} onChange={(v) => updateRow(r.key, { enabled: v })} data-testid="row-enabled" />,
          },
          ...attrNames.map((n) => ({
            title: n,
            key: `attr-${n}`,
            width: 80,
            render: (_: unknown, r: MatrixRow) => <span data-testid="row-attr">{r.attributes[n] ?? '-'}</span>,
          })),
          {
            title: t('skus.code'),
            key: 'code',
            width: 200,
            render: (_, r) =>
              r.sku ? (
                <Typography.Text strong data-testid="row-code-text">
                  {r.code}
                </Typography.Text>
              ) : (
                <Input size="small" value={r.code} disabled={!canEdit || !r.enabled} onChange={(e) => updateRow(r.key, { code: e.target.value })} data-testid="row-code" />
              ),
          },
          {
            title: t('skus.name'),
            key: 'name',
            render: (_, r) => (
              <Input
                size="small"
                value={r.name}
                placeholder={[form.getFieldValue('name') ?? '', ...Object.values(r.attributes)].join(' ').trim()}
                disabled={!canEdit || !r.enabled}
                onChange={(e) => updateRow(r.key, { name: e.target.value })}
                data-testid="row-name"
              />
            ),
          },
          {
            title: t('skus.price'),
            key: 'price',
            width: 110,
            render: (_, r) => (
              <Input size="small" prefix="¥" value={r.price} disabled={!canEdit || !r.enabled} onChange={(e) => updateRow(r.key, { price: e.target.value })} data-testid="row-price" />
            ),
          },
          {
            title: t('skus.safety'),
            key: 'safety',
            width: 90,
            render: (_, r) => (
              <InputNumber size="small" min={0} precision={0} value={r.safety} disabled={!canEdit || !r.enabled} onChange={(v) => updateRow(r.key, { safety: v ?? 0 })} style={{ width: '100%' }} />
            ),
          },
          {
            title: t('catalog.barcodes'),
            key: 'barcodes',
            width: 280,
            render: (_, r) => (
              <Select
                mode="tags"
                size="small"
                open={false}
              suffixIcon={null}
                style={{ width: '100%' }}
                value={r.barcodes}
                tokenSeparators={[',', ' ', '，']}
                placeholder={t('catalog.barcodePlaceholder')}
                disabled={!canEdit || !r.enabled}
                onChange={(v: string[]) => updateRow(r.key, { barcodes: [...new Set(v.map((x) => x.trim()).filter(Boolean))] })}
                data-testid="row-barcodes"
              />
            ),
          },
          {
            title: t('common.status'),
            key: 'state',
            width: 80,
            render: (_, r) =>
              r.sku ? (
                r.sku.active ? <Tag color="green">{t('common.active')}</Tag> : <Tag>{t('common.inactive')}</Tag>
              ) : r.enabled ? (
                <Tag color="blue" data-testid="row-new">{t('catalog.newRow')}</Tag>
              ) : (
                <Tag>{t('catalog.skipped')}</Tag>
              ),
          },
        ]}
      />
    </Card>
  );
}
