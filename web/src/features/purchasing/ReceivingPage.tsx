// The receiving station (采购收货): a scanner box that keeps the focus — scan the purchase order's
// number, then each item's barcode (one piece per scan, or type a quantity); batch and expiry or
// serial numbers per line; quality hold; freight and duty allocated by value or quantity. Below,
// the goods on quality hold, released or rejected (returned to the supplier) by QC.
import { useCallback, useEffect, useRef, useState } from 'react';
import { Alert, App, Button, Card, Checkbox, Input, InputNumber, Popconfirm, Select, Space, Table, Tag, Typography } from 'antd';
import type { InputRef } from 'antd';
import { useSearchParams } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import type { PurchaseOrder, QualityHold } from '../../api/types';
import { errorText } from '../../components/useCursorList';
import { formatTime } from '../../format';
import { useI18n } from '../../i18n';
import { formatCents, formatQty, parseYuanToCents } from '../../money';
import { PoStatusTag } from './purchasingCommon';

interface Line {
  key: number;
  sku: string;
  tracking: string;
  qty: number;
  lot_no: string;
  production_date: string;
  expiry_date: string;
  serials: string;
  hold: boolean;
}
let seq = 0;

function Holds({ version, onChanged }: { version: number; onChanged: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [rows, setRows] = useState<QualityHold[]>([]);
  const load = useCallback(() => {
    unwrap(api.GET('/api/v1/purchasing/holds')).then(setRows).catch(() => setRows([]));
  }, []);
  useEffect(load, [load, version]);
  const release = async (id: number) => {
    try {
      await unwrap(api.POST('/api/v1/purchasing/holds/{line_id}/release', { params: { path: { line_id: id } } }));
      message.success(t('rc.released'));
      load();
      onChanged();
    } catch (e) {
      message.error(errorText(e));
    }
  };
  const reject = async (id: number) => {
    try {
      const out = await unwrap(api.POST('/api/v1/purchasing/holds/{line_id}/reject', { params: { path: { line_id: id } }, body: { reason: 'QC' } }));
      message.success(t('rc.rejected', { ref: out.return_ref ?? '' }));
      load();
      onChanged();
    } catch (e) {
      message.error(errorText(e));
    }
  };
  return (
    <Card size="small" title={t('rc.holds')} style={{ marginTop: 12 }}>
      <Table
        size="small"
        rowKey="id"
        dataSource={rows}
        pagination={false}
        data-testid="hold-table"
        locale={{ emptyText: t('rc.noHolds') }}
        columns={[
          { title: t('rc.receipt'), dataIndex: 'receipt' },
          { title: t('po.ref'), dataIndex: 'order' },
          { title: t('doc.warehouse'), dataIndex: 'warehouse' },
          { title: 'SKU', dataIndex: 'sku' },
          { title: t('po.lot'), dataIndex: 'lot_no', render: (v: string | null) => v ?? '-' },
          { title: t('doc.qty'), dataIndex: 'qty', align: 'right', render: formatQty },
          { title: t('po.stockValue'), dataIndex: 'value_cents', align: 'right', render: formatCents },
          { title: t('doc.at'), dataIndex: 'at', render: formatTime },
          {
            title: '',
            key: 'ops',
            render: (_: unknown, r: QualityHold) => (
              <Space size={4}>
                <Button size="small" type="primary" data-testid={`hold-release-${r.id}`} onClick={() => release(r.id)}>
                  {t('rc.release')}
                </Button>
                <Popconfirm title={t('rc.rejectConfirm')} onConfirm={() => reject(r.id)}>
                  <Button size="small" danger>
                    {t('rc.reject')}
                  </Button>
                </Popconfirm>
              </Space>
            ),
          },
        ]}
      />
    </Card>
  );
}

export default function ReceivingPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [params] = useSearchParams();
  const scanRef = useRef<InputRef>(null);
  const [scan, setScan] = useState('');
  const [po, setPo] = useState<PurchaseOrder | null>(null);
  const [lines, setLines] = useState<Line[]>([]);
  const [freight, setFreight] = useState('');
  const [duty, setDuty] = useState('');
  const [allocation, setAllocation] = useState<'value' | 'qty'>('value');
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [version, setVersion] = useState(0);

  const focus = () => window.setTimeout(() => scanRef.current?.focus(), 0);
  const loadPo = useCallback(
    async (ref: string) => {
      try {
        const out = await unwrap(api.GET('/api/v1/purchasing/orders/by-ref/{ref}', { params: { path: { ref } } }));
        setPo(out);
        setLines([]);
        setError(null);
      } catch (e) {
        setError(errorText(e));
      }
    },
    [],
  );
  useEffect(() => {
    const ref = params.get('po');
    if (ref) loadPo(ref);
    focus();
  }, [params, loadPo]);

  const onScan = async () => {
    const code = scan.trim();
    setScan('');
    focus();
    if (!code) return;
    if (!po || code === po.ref) {
      await loadPo(code);
      return;
    }
    let sku;
    try {
      sku = (await unwrap(api.GET('/api/v1/catalog/lookup', { params: { query: { code } } }))).sku;
    } catch (e) {
      // Not a SKU code or barcode: perhaps the next purchase order's number.
      try {
        const other = await unwrap(api.GET('/api/v1/purchasing/orders/by-ref/{ref}', { params: { path: { ref: code } } }));
        setPo(other);
        setLines([]);
        setError(null);
      } catch {
        setError(errorText(e));
      }
      return;
    }
    const onOrder = po.lines.find((l) => l.sku === sku.code);
    if (!onOrder) {
      setError(t('rc.notOnOrder', { sku: sku.code, ref: po.ref }));
      return;
    }
    setError(null);
    setLines((prev) => {
      const at = prev.findIndex((l) => l.sku === sku.code);
      if (at >= 0) return prev.map((l, i) => (i === at ? { ...l, qty: l.qty + 1 } : l));
      return [...prev, { key: ++seq, sku: sku.code, tracking: onOrder.tracking, qty: 1, lot_no: '', production_date: '', expiry_date: '', serials: '', hold: false }];
    });
  };

  const update = (key: number, patch: Partial<Line>) => setLines((prev) => prev.map((l) => (l.key === key ? { ...l, ...patch } : l)));

  const submit = async () => {
    if (!po || !lines.length) return;
    const f = freight.trim() ? parseYuanToCents(freight) : 0;
    const d = duty.trim() ? parseYuanToCents(duty) : 0;
    if (f === null || d === null) {
      setError(t('doc.needCost'));
      return;
    }
    setSaving(true);
    setError(null);
    try {
      const out = await unwrap(
        api.POST('/api/v1/purchasing/orders/{order_id}/receipts', {
          params: { path: { order_id: po.id } },
          body: {
            freight_cents: f,
            duty_cents: d,
            allocation,
            lines: lines.map((l) => ({
              code: l.sku,
              qty: l.qty,
              lot_no: l.lot_no.trim() || null,
              production_date: l.production_date.trim() || null,
              expiry_date: l.expiry_date.trim() || null,
              serials: l.serials.split(/\s+/).filter(Boolean),
              hold: l.hold,
            })),
          },
        }),
      );
      message.success(t('rc.done', { ref: out.ref }));
      setLines([]);
      setFreight('');
      setDuty('');
      setVersion((v) => v + 1);
      await loadPo(po.ref);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setSaving(false);
      focus();
    }
  };

  const ordered = (sku: string) => po?.lines.find((l) => l.sku === sku);
  return (
    <>
      <Card title={<Typography.Text strong>{t('menu.receiving')}</Typography.Text>}>
        <Input
          ref={scanRef}
          size="large"
          autoFocus
          value={scan}
          onChange={(e) => setScan(e.target.value)}
          onPressEnter={onScan}
          placeholder={po ? t('rc.scanItem') : t('rc.scanPo')}
          data-testid="rc-scan"
          style={{ maxWidth: 480, marginBottom: 12 }}
        />
        {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} data-testid="rc-error" />}
        {po && (
          <>
            <Space wrap style={{ marginBottom: 8 }}>
              <Typography.Text strong data-testid="rc-po">{po.ref}</Typography.Text>
              <PoStatusTag status={po.status} />
              <span>{`${po.supplier} ${po.supplier_name} → ${po.warehouse}`}</span>
            </Space>
            <Table
              size="small"
              rowKey="line_no"
              dataSource={po.lines}
              pagination={false}
              columns={[
                { title: 'SKU', dataIndex: 'sku' },
                { title: t('to.qty'), dataIndex: 'qty', align: 'right', render: formatQty },
                { title: t('to.received'), dataIndex: 'received', align: 'right', render: formatQty },
                { title: t('po.remaining'), dataIndex: 'remaining', align: 'right', render: (v: number) => <span data-testid="rc-remaining">{formatQty(v)}</span> },
              ]}
            />
            <Typography.Title level={5} style={{ marginTop: 16 }}>
              {t('rc.scanned')}
            </Typography.Title>
            <Table
              size="small"
              rowKey="key"
              dataSource={lines}
              pagination={false}
              data-testid="rc-lines"
              locale={{ emptyText: t('rc.scanHint') }}
              columns={[
                { title: 'SKU', dataIndex: 'sku' },
                { title: t('po.remaining'), key: 'rem', render: (_: unknown, l: Line) => formatQty(ordered(l.sku)?.remaining) },
                { title: t('doc.qty'), key: 'qty', render: (_: unknown, l: Line) => <InputNumber min={1} precision={0} value={l.qty} onChange={(v) => update(l.key, { qty: v ?? 1 })} data-testid={`rc-qty-${l.sku}`} /> },
                {
                  title: t('rc.tracking'),
                  key: 'tracking',
                  render: (_: unknown, l: Line) =>
                    l.tracking === 'batch' ? (
                      <Space size={4}>
                        <Input size="small" placeholder={t('po.lot')} value={l.lot_no} onChange={(e) => update(l.key, { lot_no: e.target.value })} style={{ width: 100 }} data-testid={`rc-lot-${l.sku}`} />
                        <Input size="small" placeholder={t('rc.production')} value={l.production_date} onChange={(e) => update(l.key, { production_date: e.target.value })} style={{ width: 110 }} />
                        <Input size="small" placeholder={t('rc.expiry')} value={l.expiry_date} onChange={(e) => update(l.key, { expiry_date: e.target.value })} style={{ width: 110 }} />
                      </Space>
                    ) : l.tracking === 'serial' ? (
                      <Input.TextArea rows={2} placeholder={t('to.serials')} value={l.serials} onChange={(e) => update(l.key, { serials: e.target.value })} style={{ width: 240 }} />
                    ) : (
                      <Tag>-</Tag>
                    ),
                },
                { title: t('rc.hold'), key: 'hold', render: (_: unknown, l: Line) => <Checkbox checked={l.hold} onChange={(e) => update(l.key, { hold: e.target.checked })} data-testid={`rc-hold-${l.sku}`} /> },
                { title: '', key: 'x', render: (_: unknown, l: Line) => <Button size="small" type="link" danger onClick={() => setLines((p) => p.filter((x) => x.key !== l.key))}>{t('doc.removeLine')}</Button> },
              ]}
            />
            <Space wrap style={{ marginTop: 12 }}>
              <span>{t('rc.freight')}</span>
              <Input value={freight} onChange={(e) => setFreight(e.target.value)} style={{ width: 100 }} placeholder="0.00" />
              <span>{t('rc.duty')}</span>
              <Input value={duty} onChange={(e) => setDuty(e.target.value)} style={{ width: 100 }} placeholder="0.00" />
              <Select
                value={allocation}
                onChange={setAllocation}
                style={{ width: 160 }}
                options={[
                  { value: 'value', label: t('rc.byValue') },
                  { value: 'qty', label: t('rc.byQty') },
                ]}
              />
              <Button type="primary" loading={saving} disabled={!lines.length} onClick={submit} data-testid="rc-submit">
                {t('rc.submit')}
              </Button>
            </Space>
          </>
        )}
      </Card>
      <Holds version={version} onChanged={() => po && loadPo(po.ref)} />
    </>
  );
}
