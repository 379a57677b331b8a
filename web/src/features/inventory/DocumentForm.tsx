// New stock documents: goods receipt, transfer, stocktake (scanner friendly) and adjustment.
import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { Alert, App, Button, DatePicker, Form, Input, InputNumber, Modal, Select, Space, Table, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { DeleteOutlined, PlusOutlined, ScanOutlined } from '@ant-design/icons';
import { api, ApiError, unwrap } from '../../api/client';
import type { AdjustmentReason, Sku, Supplier, Warehouse } from '../../api/types';
import { errorText } from '../../components/useCursorList';
import { useI18n, type MsgKey } from '../../i18n';
import { parseYuanToCents } from '../../money';
import type { DocKind } from './docCommon';

interface Line {
  key: number;
  sku?: string;
  qty: number | null;
  cost: string;
  lotNo: string;
  made: Dayjs | null;
  expires: Dayjs | null;
  serials: string;
}

export interface Posted {
  id: number;
  ref: string;
  status: string;
}

const TITLES: Record<DocKind, MsgKey> = {
  receipt: 'doc.newReceipt',
  transfer: 'doc.newTransfer',
  count: 'doc.newCount',
  adjustment: 'doc.newAdjustment',
};

let lineSeq = 0;
const newLine = (sku?: string, qty: number | null = null): Line => ({
  key: ++lineSeq,
  sku,
  qty,
  cost: '',
  lotNo: '',
  made: null,
  expires: null,
  serials: '',
});

/** What the catalog said of each SKU code seen in a search: its tracking decides the line's fields. */
const known = new Map<string, Sku>();
const trackingOf = (code?: string) => (code ? known.get(code.toLowerCase())?.tracking ?? 'none' : 'none');
const serialList = (text: string) => text.split(/[\s,;]+/).map((x) => x.trim()).filter(Boolean);

async function searchSkus(q: string): Promise<Sku[]> {
  const page = await unwrap(api.GET('/api/v1/catalog/skus', { params: { query: { ...(q ? { q } : {}), limit: 20 } } }));
  page.items.forEach((s) => known.set(s.code.toLowerCase(), s));
  return page.items.filter((s) => s.active !== false);
}

/** A SKU picker that searches the catalog as you type. */
export function SkuSelect({ value, onChange, testId }: { value?: string; onChange: (code: string) => void; testId?: string }) {
  const { t } = useI18n();
  const [options, setOptions] = useState<Sku[]>([]);
  const [loading, setLoading] = useState(false);
  const timer = useRef<number | undefined>(undefined);
  const gen = useRef(0);

  const run = useCallback((q: string) => {
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => {
      const mine = ++gen.current;
      setLoading(true);
      searchSkus(q.trim())
        .then((rows) => mine === gen.current && setOptions(rows))
        .catch(() => mine === gen.current && setOptions([]))
        .finally(() => mine === gen.current && setLoading(false));
    }, 200);
  }, []);

  useEffect(() => () => window.clearTimeout(timer.current), []);

  const opts = options.map((s) => ({ value: s.code, label: `${s.code} ${s.name}` }));
  if (value && !opts.some((o) => o.value === value)) opts.unshift({ value, label: value });

  return (
    <Select
      showSearch
      value={value}
      placeholder={t('doc.skuPlaceholder')}
      filterOption={false}
      onSearch={run}
      onFocus={() => options.length === 0 && run('')}
      onChange={onChange}
      loading={loading}
      options={opts}
      style={{ width: '100%' }}
      popupMatchSelectWidth={360}
      data-testid={testId}
    />
  );
}

/** Batch fields (number, dates) or serial numbers for a line whose SKU is tracked. */
function TrackingFields({ line, kind, onChange }: { line: Line; kind: DocKind; onChange: (patch: Partial<Line>) => void }) {
  const { t } = useI18n();
  const tracking = trackingOf(line.sku);
  if (tracking === 'batch') {
    return (
      <Space direction="vertical" size={2} style={{ width: '100%' }}>
        <Input size="small" value={line.lotNo} placeholder={t('doc.lotNo')} maxLength={64} onChange={(e) => onChange({ lotNo: e.target.value })} data-testid="line-lot" />
        {kind === 'receipt' && (
          <Space size={2}>
            <DatePicker size="small" value={line.made} placeholder={t('doc.madeOn')} onChange={(d) => onChange({ made: d })} data-testid="line-made" />
            <DatePicker size="small" value={line.expires} placeholder={t('doc.expiresOn')} onChange={(d) => onChange({ expires: d })} data-testid="line-expires" />
          </Space>
        )}
      </Space>
    );
  }
  if (tracking === 'serial') {
    const n = serialList(line.serials).length;
    return (
      <Space direction="vertical" size={2} style={{ width: '100%' }}>
        <Input.TextArea
          size="small"
          autoSize={{ minRows: 1, maxRows: 6 }}
          value={line.serials}
          placeholder={t('doc.serials')}
          onChange={(e) => {
            const count = serialList(e.target.value).length;
            onChange(kind === 'adjustment' ? { serials: e.target.value } : { serials: e.target.value, qty: count || null });
          }}
          data-testid="line-serials"
        />
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t('doc.serialCount', { n })}
        </Typography.Text>
      </Space>
    );
  }
  return <Typography.Text type="secondary">-</Typography.Text>;
}

function isCode(a: string | undefined, b: string): boolean {
  return Boolean(a) && a!.toLowerCase() === b.toLowerCase();
}

export default function DocumentForm({
  kind,
  warehouses,
  reasons,
  onClose,
  onPosted,
}: {
  kind: DocKind | null;
  warehouses: Warehouse[];
  reasons: AdjustmentReason[];
  onClose: () => void;
  onPosted: (doc: Posted, kind: DocKind) => void;
}) {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [lines, setLines] = useState<Line[]>([]);
  const [suppliers, setSuppliers] = useState<Supplier[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [rejected, setRejected] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [scan, setScan] = useState('');
  const [lastScanned, setLastScanned] = useState<string | null>(null);
  const lookups = useRef(new Map<string, Promise<Sku | null>>());
  const scanRef = useRef<HTMLInputElement | null>(null);

  useEffect(() => {
    if (!kind) return;
    form.resetFields();
    setLines(kind === 'count' ? [] : [newLine()]);
    setError(null);
    setRejected(null);
    setScan('');
    setLastScanned(null);
    if (kind === 'receipt') {
      unwrap(api.GET('/api/v1/purchasing/suppliers')).then(setSuppliers).catch(() => setSuppliers([]));
    }
    if (kind === 'count') window.setTimeout(() => scanRef.current?.focus(), 100);
  }, [kind, form]);

  const whOptions = useMemo(
    () => warehouses.filter((w) => w.active !== false).map((w) => ({ value: w.code, label: `${w.code} ${w.name}` })),
    [warehouses],
  );

  const update = (key: number, patch: Partial<Line>) => setLines((prev) => prev.map((l) => (l.key === key ? { ...l, ...patch } : l)));

  /** Count one more of `code`: bump its line or add one (filling an empty line first). */
  const bump = (code: string) =>
    setLines((prev) => {
      const i = prev.findIndex((l) => isCode(l.sku, code));
      if (i >= 0) return prev.map((l, j) => (j === i ? { ...l, qty: (l.qty ?? 0) + 1 } : l));
      const empty = prev.findIndex((l) => !l.sku);
      if (empty >= 0) return prev.map((l, j) => (j === empty ? { ...l, sku: code, qty: 1 } : l));
      return [...prev, newLine(code, 1)];
    });

  const lookup = (code: string): Promise<Sku | null> => {
    const k = code.toLowerCase();
    let p = lookups.current.get(k);
    if (!p) {
      // A SKU code or a barcode (the catalog resolves both); unknown codes are null.
      p = unwrap(api.GET('/api/v1/catalog/lookup', { params: { query: { code } } }))
        .then((found) => found.sku as Sku)
        .catch((err) => {
          if (!(err instanceof ApiError) || err.status !== 404) throw err;
          return searchSkus(code).then((rows) => rows.find((s) => isCode(s.code, code)) ?? null); // typed in another case
        });
      p.catch(() => lookups.current.delete(k));
      lookups.current.set(k, p);
    }
    return p;
  };

  const onScan = async (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    const code = scan.trim();
    setScan('');
    if (!code) return;
    const known = lines.find((l) => isCode(l.sku, code));
    if (known?.sku) {
      bump(known.sku);
      setLastScanned(known.sku);
      return;
    }
    try {
      const sku = await lookup(code);
      if (!sku) {
        message.error(t('doc.scanNotFound', { code }));
        return;
      }
      bump(sku.code);
      setLastScanned(sku.code);
    } catch (err) {
      message.error(errorText(err));
    }
  };

  /** Lines as the API wants them, or an error message. */
  type Built = { sku: string; qty: number; cents: number | null; lot_no: string | null; made: string | null; expires: string | null; serials: string[] };
  const buildLines = (): Built[] | string => {
    const filled = lines.filter((l) => l.sku || l.qty !== null || l.cost.trim());
    if (filled.length === 0) return t('doc.needLines');
    const seen = new Set<string>();
    const out: Built[] = [];
    for (const [i, l] of filled.entries()) {
      const bad = (key: MsgKey) => t('doc.lineInvalid', { n: i + 1, msg: t(key) });
      if (!l.sku) return bad('doc.needSku');
      const tracking = trackingOf(l.sku);
      const lotKey = `${l.sku.toLowerCase()}|${tracking === 'batch' ? l.lotNo.trim() : ''}`;
      if (seen.has(lotKey)) return t('doc.duplicateSku', { sku: l.sku });
      seen.add(lotKey);
      const q = l.qty;
      if (q === null || !Number.isSafeInteger(q)) return bad(kind === 'count' ? 'doc.needCounted' : kind === 'adjustment' ? 'doc.needQty' : 'doc.needPositiveQty');
      if (kind === 'count' && q < 0) return bad('doc.needCounted');
      if ((kind === 'receipt' || kind === 'transfer') && q <= 0) return bad('doc.needPositiveQty');
      if (kind === 'adjustment' && q === 0) return bad('doc.needQty');
      let cents: number | null = null;
      if (kind === 'receipt' || (kind === 'adjustment' && l.cost.trim())) {
        cents = parseYuanToCents(l.cost);
        if (cents === null || cents < 0) return bad('doc.needCost');
      }
      const serials = tracking === 'serial' ? serialList(l.serials) : [];
      if (tracking === 'batch' && kind !== 'transfer' && !l.lotNo.trim()) return bad('doc.needLot');
      if (tracking === 'serial' && kind !== 'count' && serials.length !== Math.abs(q)) return bad('doc.needSerials');
      out.push({
        sku: l.sku,
        qty: q,
        cents,
        lot_no: tracking === 'batch' && l.lotNo.trim() ? l.lotNo.trim() : null,
        made: l.made ? l.made.format('YYYY-MM-DD') : null,
        expires: l.expires ? l.expires.format('YYYY-MM-DD') : null,
        serials,
      });
    }
    return out;
  };

  const submit = async () => {
    if (!kind) return;
    setError(null);
    setRejected(null);
    let head: Record<string, string | undefined>;
    try {
      head = await form.validateFields();
    } catch {
      return;
    }
    if (kind === 'transfer' && head.from_warehouse === head.to_warehouse) {
      setError(t('doc.sameWarehouse'));
      return;
    }
    const built = buildLines();
    if (typeof built === 'string') {
      setError(built);
      return;
    }
    const note = head.note?.trim() || null;
    setSaving(true);
    try {
      let posted: Posted;
      if (kind === 'receipt') {
        const r = await unwrap(
          api.POST('/api/v1/purchasing/receipts', {
            body: {
              supplier: head.supplier!,
              warehouse: head.warehouse!,
              note,
              lines: built.map((l) => ({
                sku: l.sku,
                qty: l.qty,
                unit_cost_cents: l.cents ?? 0,
                lot_no: l.lot_no,
                production_date: l.lot_no ? l.made : null,
                expiry_date: l.lot_no ? l.expires : null,
                serials: l.serials,
              })),
            },
          }),
        );
        posted = { id: Number(r.id), ref: String(r.ref), status: String(r.status) };
      } else if (kind === 'transfer') {
        const r = await unwrap(
          api.POST('/api/v1/inventory/transfers', {
            body: {
              from_warehouse: head.from_warehouse!,
              to_warehouse: head.to_warehouse!,
              note,
              lines: built.map((l) => ({ sku: l.sku, qty: l.qty, lot_no: l.lot_no, serials: l.serials })),
            },
          }),
        );
        posted = r;
        if (r.status === 'rejected') {
          const rej = (r.rejection ?? {}) as Record<string, unknown>;
          const text = t('doc.rejected', {
            ref: r.ref,
            sku: String(rej.sku ?? '-'),
            wanted: String(rej.wanted ?? '-'),
            available: String(rej.available ?? '-'),
          });
          setRejected(text);
          message.warning(text);
          onPosted(posted, kind);
          return; // keep the form open so the operator can lower the quantities and retry
        }
      } else if (kind === 'count') {
        posted = await unwrap(
          api.POST('/api/v1/inventory/counts', {
            body: {
              warehouse: head.warehouse!,
              note,
              lines: built.map((l) => ({ sku: l.sku, counted: l.qty, lot_no: l.lot_no, serials: trackingOf(l.sku) === 'serial' ? l.serials : null })),
            },
          }),
        );
      } else {
        posted = await unwrap(
          api.POST('/api/v1/inventory/adjustments', {
            body: {
              warehouse: head.warehouse!,
              reason: head.reason as 'damaged',
              note,
              lines: built.map((l) => ({ sku: l.sku, qty: l.qty, unit_cost_cents: l.cents, lot_no: l.lot_no, serials: l.serials })),
            },
          }),
        );
      }
      message.success(t('doc.posted', { ref: posted.ref }));
      onPosted(posted, kind);
      onClose();
    } catch (e) {
      const text = errorText(e);
      setError(text);
      message.error(text);
    } finally {
      setSaving(false);
    }
  };

  const qtyTitle =
    kind === 'count' ? t('doc.counted') : kind === 'adjustment' ? t('doc.qtySigned') : t('doc.qty');
  const costTitle = kind === 'receipt' ? t('doc.unitCostYuan') : t('doc.unitCostOptional');
  const hasCost = kind === 'receipt' || kind === 'adjustment';

  return (
    <Modal
      open={kind !== null}
      title={kind ? t(TITLES[kind]) : ''}
      width={860}
      onCancel={onClose}
      maskClosable={false}
      destroyOnHidden
      footer={
        <Space>
          <Button onClick={onClose} data-testid="doc-form-cancel">
            {t('common.cancel')}
          </Button>
          <Button type="primary" loading={saving} onClick={() => void submit()} data-testid="doc-form-submit">
            {t('doc.submit')}
          </Button>
        </Space>
      }
    >
      {kind && (
        <div data-testid={`doc-form-${kind}`}>
          <Form form={form} layout="inline" size="small" style={{ rowGap: 8, marginBottom: 12 }}>
            {kind === 'receipt' && (
              <Form.Item name="supplier" label={t('doc.supplier')} rules={[{ required: true, message: t('doc.required', { field: t('doc.supplier') }) }]}>
                <Select
                  showSearch
                  optionFilterProp="label"
                  style={{ width: 200 }}
                  data-testid="doc-form-supplier"
                  options={suppliers.map((s) => ({ value: s.code, label: `${s.code} ${s.name}` }))}
                />
              </Form.Item>
            )}
            {kind === 'transfer' ? (
              <>
                <Form.Item name="from_warehouse" label={t('doc.fromWarehouse')} rules={[{ required: true, message: t('doc.required', { field: t('doc.fromWarehouse') }) }]}>
                  <Select showSearch optionFilterProp="label" style={{ width: 180 }} options={whOptions} data-testid="doc-form-warehouse" />
                </Form.Item>
                <Form.Item name="to_warehouse" label={t('doc.toWarehouse')} rules={[{ required: true, message: t('doc.required', { field: t('doc.toWarehouse') }) }]}>
                  <Select showSearch optionFilterProp="label" style={{ width: 180 }} options={whOptions} data-testid="doc-form-to-warehouse" />
                </Form.Item>
              </>
            ) : (
              <Form.Item name="warehouse" label={t('doc.warehouse')} rules={[{ required: true, message: t('doc.required', { field: t('doc.warehouse') }) }]}>
                <Select showSearch optionFilterProp="label" style={{ width: 180 }} options={whOptions} data-testid="doc-form-warehouse" />
              </Form.Item>
            )}
            {kind === 'adjustment' && (
              <Form.Item name="reason" label={t('doc.reason')} rules={[{ required: true, message: t('doc.required', { field: t('doc.reason') }) }]}>
                <Select
                  style={{ width: 160 }}
                  data-testid="doc-form-reason"
                  options={reasons.map((r) => ({ value: r.code, label: lang === 'zh-CN' ? r.zh : r.en }))}
                />
              </Form.Item>
            )}
            <Form.Item name="note" label={t('doc.note')}>
              <Input maxLength={500} style={{ width: 220 }} data-testid="doc-form-note" />
            </Form.Item>
          </Form>

          {kind === 'count' && (
            <Input
              ref={(el) => {
                scanRef.current = el?.input ?? null;
              }}
              prefix={<ScanOutlined />}
              placeholder={t('doc.scan')}
              value={scan}
              onChange={(e) => setScan(e.target.value)}
              onKeyDown={onScan}
              style={{ marginBottom: 8 }}
              autoComplete="off"
              data-testid="count-scan"
            />
          )}

          {rejected && <Alert type="warning" showIcon message={t('doc.rejectedTitle')} description={rejected} style={{ marginBottom: 8 }} data-testid="doc-form-rejected" />}
          {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 8 }} data-testid="doc-form-error" />}

          <Table<Line>
            size="small"
            rowKey="key"
            pagination={false}
            dataSource={lines}
            data-testid="doc-form-lines"
            onRow={(l) => ({ 'data-testid': 'doc-form-line', style: l.sku && l.sku === lastScanned ? { background: '#e6f4ff' } : undefined }) as never}
            columns={[
              { title: '#', key: 'n', width: 40, render: (_, __, i) => i + 1 },
              {
                title: t('doc.sku'),
                key: 'sku',
                render: (_, l) => <SkuSelect value={l.sku} onChange={(v) => update(l.key, { sku: v })} testId="line-sku" />,
              },
              {
                title: qtyTitle,
                key: 'qty',
                width: 150,
                render: (_, l) => (
                  <InputNumber
                    value={l.qty}
                    precision={0}
                    min={kind === 'adjustment' ? -1_000_000_000 : kind === 'count' ? 0 : 1}
                    max={1_000_000_000}
                    style={{ width: '100%' }}
                    onChange={(v) => update(l.key, { qty: typeof v === 'number' ? v : null })}
                    data-testid="line-qty"
                  />
                ),
              },
              {
                title: t('doc.tracking'),
                key: 'tracking',
                width: 260,
                render: (_: unknown, l: Line) => <TrackingFields line={l} kind={kind} onChange={(patch) => update(l.key, patch)} />,
              },
              ...(hasCost
                ? [
                    {
                      title: costTitle,
                      key: 'cost',
                      width: 160,
                      render: (_: unknown, l: Line) => (
                        <Input
                          value={l.cost}
                          inputMode="decimal"
                          placeholder="0.00"
                          status={l.cost.trim() && parseYuanToCents(l.cost) === null ? 'error' : undefined}
                          onChange={(e) => update(l.key, { cost: e.target.value })}
                          data-testid="line-cost"
                        />
                      ),
                    },
                  ]
                : []),
              {
                title: '',
                key: 'remove',
                width: 48,
                render: (_, l) => (
                  <Button
                    size="small"
                    type="text"
                    danger
                    icon={<DeleteOutlined />}
                    title={t('doc.removeLine')}
                    onClick={() => setLines((prev) => prev.filter((x) => x.key !== l.key))}
                    data-testid="line-remove"
                  />
                ),
              },
            ]}
          />
          <Space style={{ marginTop: 8, justifyContent: 'space-between', width: '100%' }}>
            <Button size="small" icon={<PlusOutlined />} onClick={() => setLines((prev) => [...prev, newLine()])} data-testid="doc-form-add-line">
              {t('doc.addLine')}
            </Button>
            <Typography.Text type="secondary">{t('doc.lines')}: {lines.length}</Typography.Text>
          </Space>
        </div>
      )}
    </Modal>
  );
}
