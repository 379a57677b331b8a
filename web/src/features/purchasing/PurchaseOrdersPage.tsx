// Purchase orders (采购单): status tabs with counts, the list, the order form, and the drawer with
// the status flow (submit → approve/reject → send → receive → close; cancel), receipts, PDF, Excel.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Alert, App, Button, Card, DatePicker, Descriptions, Drawer, Form, Input, InputNumber, Modal, Select, Space, Steps, Table, Tabs, Typography } from 'antd';
import { DeleteOutlined, FilePdfOutlined, FileExcelOutlined, PlusOutlined, ReloadOutlined, RollbackOutlined } from '@ant-design/icons';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import { saveDownload } from '../../api/download';
import type { PurchaseOrder, PurchaseOrderRow, PurchaseReceipt } from '../../api/types';
import LoadMore from '../../components/LoadMore';
import { errorText, useCursorList } from '../../components/useCursorList';
import { useWarehouses } from '../../components/useWarehouses';
import { formatTime } from '../../format';
import { optLabel, useI18n } from '../../i18n';
import { formatCents, formatQty, parseYuanToCents } from '../../money';
import { SkuSelect } from '../inventory/DocumentForm';
import { PO_STATUSES, PoStatusTag, useSuppliers } from './purchasingCommon';
import SupplierReturnDialog from './SupplierReturnDialog';

interface Line {
  key: number;
  sku?: string;
  qty: number | null;
  price: string;
}
let seq = 0;
const newLine = (): Line => ({ key: ++seq, qty: null, price: '' });

function OrderForm({ open, editing, onClose, onSaved }: { open: boolean; editing: PurchaseOrder | null; onClose: () => void; onSaved: (po: PurchaseOrder) => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm();
  const [suppliers] = useSuppliers();
  const warehouses = useWarehouses();
  const [lines, setLines] = useState<Line[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    if (!open) return;
    form.resetFields();
    setError(null);
    if (editing) {
      form.setFieldsValue({ supplier: editing.supplier, warehouse: editing.warehouse, note: editing.note ?? '' });
      setLines(editing.lines.map((l) => ({ key: ++seq, sku: l.sku, qty: l.qty, price: (l.price_cents / 100).toFixed(2) })));
    } else setLines([newLine()]);
  }, [open, editing, form]);
  const update = (key: number, patch: Partial<Line>) => setLines((prev) => prev.map((l) => (l.key === key ? { ...l, ...patch } : l)));
  const submit = async () => {
    setError(null);
    const head = await form.validateFields();
    const body = [];
    for (const [i, l] of lines.entries()) {
      if (!l.sku || !l.qty || l.qty <= 0) {
        setError(t('doc.lineInvalid', { n: i + 1, msg: t('doc.needPositiveQty') }));
        return;
      }
      const price = l.price.trim() ? parseYuanToCents(l.price) : null;
      if (l.price.trim() && price === null) {
        setError(t('doc.lineInvalid', { n: i + 1, msg: t('doc.needCost') }));
        return;
      }
      body.push({ sku: l.sku, qty: l.qty, price_cents: price });
    }
    setSaving(true);
    try {
      const expected_date = head.expected_date ? head.expected_date.format('YYYY-MM-DD') : null;
      const po = editing
        ? await unwrap(api.PUT('/api/v1/purchasing/orders/{order_id}', { params: { path: { order_id: editing.id } }, body: { lines: body, note: head.note || null, expected_date } }))
        : await unwrap(api.POST('/api/v1/purchasing/orders', { body: { supplier: head.supplier, warehouse: head.warehouse, lines: body, note: head.note || null, expected_date } }));
      onSaved(po);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setSaving(false);
    }
  };
  return (
    <Modal open={open} width={820} title={editing ? `${t('po.edit')} ${editing.ref}` : t('po.new')} onCancel={onClose} onOk={submit} confirmLoading={saving} okButtonProps={{ 'data-testid': 'po-save' }}>
      <Form form={form} layout="inline" size="small" style={{ marginBottom: 12, rowGap: 8 }}>
        <Form.Item name="supplier" label={t('sup.supplier')} rules={[{ required: true }]}>
          <Select showSearch optionFilterProp="label" disabled={!!editing} style={{ width: 200 }} data-testid="po-supplier" options={suppliers.map((s) => ({ value: s.code, label: `${s.code} ${s.name}` }))} />
        </Form.Item>
        <Form.Item name="warehouse" label={t('doc.warehouse')} rules={[{ required: true }]}>
          <Select showSearch optionFilterProp="label" disabled={!!editing} style={{ width: 160 }} data-testid="po-warehouse" options={warehouses.map((w) => ({ value: w.code, label: `${w.code} ${w.name}` }))} />
        </Form.Item>
        <Form.Item name="expected_date" label={t('po.expected')}>
          <DatePicker />
        </Form.Item>
        <Form.Item name="note" label={t('doc.note')}>
          <Input style={{ width: 200 }} />
        </Form.Item>
      </Form>
      <Table
        size="small"
        rowKey="key"
        dataSource={lines}
        pagination={false}
        columns={[
          { title: 'SKU', key: 'sku', render: (_: unknown, l: Line, i: number) => <div style={{ width: 260 }}><SkuSelect value={l.sku} onChange={(sku) => update(l.key, { sku })} testId={`po-line-sku-${i}`} /></div> },
          { title: t('doc.qty'), key: 'qty', render: (_: unknown, l: Line, i: number) => <InputNumber min={1} precision={0} value={l.qty} onChange={(v) => update(l.key, { qty: v })} data-testid={`po-line-qty-${i}`} /> },
          { title: t('po.priceOptional'), key: 'price', render: (_: unknown, l: Line) => <Input value={l.price} style={{ width: 120 }} placeholder={t('po.supplierPrice')} onChange={(e) => update(l.key, { price: e.target.value })} /> },
          { title: '', key: 'x', render: (_: unknown, l: Line) => <Button size="small" type="text" icon={<DeleteOutlined />} onClick={() => setLines((p) => p.filter((x) => x.key !== l.key))} /> },
        ]}
      />
      <Button size="small" icon={<PlusOutlined />} style={{ marginTop: 8 }} onClick={() => setLines((p) => [...p, newLine()])}>
        {t('doc.addLine')}
      </Button>
      {error && <Alert type="error" showIcon style={{ marginTop: 12 }} message={error} data-testid="po-form-error" />}
    </Modal>
  );
}

const FLOW = ['draft', 'submitted', 'approved', 'sent', 'partially_received', 'received', 'closed'];
const ACTION_OF: Record<string, string> = { submitted: 'submit', approved: 'approve', draft: 'reject', sent: 'send', cancelled: 'cancel', closed: 'close' };

export function OrderDrawer({ orderId, onClose, onChanged }: { orderId: number | null; onClose: () => void; onChanged: () => void }) {
  const { t } = useI18n();
  const { message, modal } = App.useApp();
  const navigate = useNavigate();
  const [po, setPo] = useState<PurchaseOrder | null>(null);
  const [receipts, setReceipts] = useState<PurchaseReceipt[]>([]);
  const [editOpen, setEditOpen] = useState(false);
  const [returnOpen, setReturnOpen] = useState(false);
  const load = useCallback(() => {
    if (orderId === null) return;
    unwrap(api.GET('/api/v1/purchasing/orders/{order_id}', { params: { path: { order_id: orderId } } })).then(setPo).catch((e) => message.error(errorText(e)));
    unwrap(api.GET('/api/v1/purchasing/orders/{order_id}/receipts', { params: { path: { order_id: orderId } } })).then(setReceipts).catch(() => setReceipts([]));
  }, [orderId, message]);
  useEffect(() => {
    setPo(null);
    load();
  }, [load]);
  const act = (target: string) => {
    if (!po) return;
    const action = ACTION_OF[target] as 'submit' | 'approve' | 'reject' | 'send' | 'cancel' | 'close';
    const run = async () => {
      try {
        const out = await unwrap(api.POST('/api/v1/purchasing/orders/{order_id}/actions/{action}', { params: { path: { order_id: po.id, action } } }));
        setPo(out);
        onChanged();
        message.success(optLabel(t, 'po.action', action));
      } catch (e) {
        message.error(errorText(e));
      }
    };
    if (action === 'cancel' || action === 'close') modal.confirm({ title: optLabel(t, 'po.action', action), content: po.ref, onOk: run });
    else run();
  };
  const current = po ? FLOW.indexOf(po.status) : 0;
  return (
    <Drawer open={orderId !== null} width={900} onClose={onClose} title={po ? `${t('po.title')} ${po.ref}` : ''} data-testid="po-drawer">
      {po && (
        <>
          <Steps size="small" current={current < 0 ? 0 : current} status={po.status === 'cancelled' ? 'error' : undefined} items={FLOW.map((s) => ({ title: optLabel(t, 'po.status', s) }))} style={{ marginBottom: 16 }} />
          <Space wrap style={{ marginBottom: 12 }}>
            <PoStatusTag status={po.status} />
            {po.status === 'draft' && (
              <Button size="small" onClick={() => setEditOpen(true)}>
                {t('common.edit')}
              </Button>
            )}
            {po.next.filter((n) => ACTION_OF[n] && n !== 'partially_received' && n !== 'received').map((n) => (
              <Button key={n} size="small" type={n === 'approved' || n === 'submitted' ? 'primary' : 'default'} danger={n === 'cancelled'} data-testid={`po-action-${ACTION_OF[n]}`} onClick={() => act(n)}>
                {optLabel(t, 'po.action', ACTION_OF[n])}
              </Button>
            ))}
            {['approved', 'sent', 'partially_received'].includes(po.status) && (
              <Button size="small" type="primary" data-testid="po-receive" onClick={() => navigate(`/purchasing/receiving?po=${encodeURIComponent(po.ref)}`)}>
                {t('po.receive')}
              </Button>
            )}
            {['partially_received', 'received', 'closed'].includes(po.status) && po.lines.some((l) => l.received > 0) && (
              <Button size="small" danger icon={<RollbackOutlined />} data-testid="po-return" onClick={() => setReturnOpen(true)}>
                {t('ret.new')}
              </Button>
            )}
            <Button size="small" icon={<FilePdfOutlined />} onClick={() => saveDownload(api.GET('/api/v1/purchasing/orders/{order_id}/pdf', { params: { path: { order_id: po.id } }, parseAs: 'blob' }), `${po.ref}.pdf`)}>
              PDF
            </Button>
            <Button size="small" icon={<FileExcelOutlined />} onClick={() => saveDownload(api.GET('/api/v1/purchasing/orders/{order_id}/xlsx', { params: { path: { order_id: po.id } }, parseAs: 'blob' }), `${po.ref}.xlsx`)}>
              Excel
            </Button>
          </Space>
          <Descriptions size="small" column={3} bordered>
            <Descriptions.Item label={t('sup.supplier')}>{`${po.supplier} ${po.supplier_name}`}</Descriptions.Item>
            <Descriptions.Item label={t('doc.warehouse')}>{po.warehouse}</Descriptions.Item>
            <Descriptions.Item label={t('po.total')}>
              <span data-testid="po-total">{formatCents(po.total_cents)}</span> {po.currency}
            </Descriptions.Item>
            <Descriptions.Item label={t('doc.createdBy')}>{`${po.created_by} · ${formatTime(po.created_at)}`}</Descriptions.Item>
            <Descriptions.Item label={t('po.approvedBy')}>{po.approved_by ? `${po.approved_by} · ${formatTime(po.approved_at)}` : '-'}</Descriptions.Item>
            <Descriptions.Item label={t('po.approvalNeeds')}>{optLabel(t, 'perm', po.approval_permission)}</Descriptions.Item>
            <Descriptions.Item label={t('po.expected')}>{po.expected_date ?? '-'}</Descriptions.Item>
            <Descriptions.Item label={t('po.source')}>{optLabel(t, 'po.source', po.source)}</Descriptions.Item>
            <Descriptions.Item label={t('doc.note')}>{po.note ?? '-'}</Descriptions.Item>
          </Descriptions>
          <Table
            size="small"
            style={{ marginTop: 12 }}
            rowKey="line_no"
            dataSource={po.lines}
            pagination={false}
            columns={[
              { title: '#', dataIndex: 'line_no' },
              { title: 'SKU', dataIndex: 'sku' },
              { title: t('doc.qty'), dataIndex: 'qty', align: 'right', render: formatQty },
              { title: t('sup.price'), dataIndex: 'price_cents', align: 'right', render: formatCents },
              { title: t('doc.amount'), dataIndex: 'amount_cents', align: 'right', render: formatCents },
              { title: t('to.received'), dataIndex: 'received', align: 'right', render: formatQty },
              { title: t('po.billed'), dataIndex: 'billed', align: 'right', render: formatQty },
            ]}
          />
          <Typography.Title level={5} style={{ marginTop: 16 }}>
            {t('po.receipts')}
          </Typography.Title>
          <Table
            size="small"
            rowKey="id"
            dataSource={receipts.flatMap((r) => r.lines.map((l) => ({ ...l, id: `${r.ref}-${l.line_no}`, ref: r.ref, at: r.at })))}
            pagination={false}
            locale={{ emptyText: t('po.noReceipts') }}
            columns={[
              { title: t('doc.ref'), dataIndex: 'ref' },
              { title: t('doc.at'), dataIndex: 'at', render: formatTime },
              { title: 'SKU', dataIndex: 'sku' },
              { title: t('doc.qty'), dataIndex: 'qty', align: 'right' },
              { title: t('po.lot'), dataIndex: 'lot_no', render: (v: string | null) => v ?? '-' },
              { title: t('po.landed'), dataIndex: 'landed_cents', align: 'right', render: formatCents },
              { title: t('po.stockValue'), dataIndex: 'value_cents', align: 'right', render: formatCents },
              { title: t('rc.hold'), dataIndex: 'hold', render: (h: string) => optLabel(t, 'rc.holdState', h) },
            ]}
          />
          <SupplierReturnDialog
            po={po}
            receipts={receipts}
            open={returnOpen}
            onClose={() => setReturnOpen(false)}
            onDone={(ref) => {
              setReturnOpen(false);
              message.success(t('ret.done', { ref }));
              load();
              onChanged();
            }}
          />
          <OrderForm
            open={editOpen}
            editing={po}
            onClose={() => setEditOpen(false)}
            onSaved={(out) => {
              setEditOpen(false);
              setPo(out);
              onChanged();
            }}
          />
        </>
      )}
    </Drawer>
  );
}

export default function PurchaseOrdersPage() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? '';
  const [q, setQ] = useState('');
  const [counts, setCounts] = useState<Record<string, number>>({});
  const [formOpen, setFormOpen] = useState(false);
  const openId = params.get('id') ? Number(params.get('id')) : null;
  const list = useCursorList<PurchaseOrderRow>(
    (cursor) =>
      unwrap(api.GET('/api/v1/purchasing/orders', { params: { query: { status: status || undefined, q: q || undefined, cursor } } })).then((d) => {
        setCounts(d.counts);
        return d;
      }),
    [status, q],
  );
  const load = () => void list.reload();
  const setParam = (k: string, v: string | null) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v);
    else next.delete(k);
    setParams(next);
  };
  const total = useMemo(() => Object.values(counts).reduce((a, b) => a + b, 0), [counts]);
  return (
    <Card
      title={<Typography.Text strong>{t('menu.purchaseOrders')}</Typography.Text>}
      extra={
        <Space>
          <Input.Search placeholder={t('doc.refSearch')} allowClear onSearch={setQ} style={{ width: 200 }} />
          <Button icon={<ReloadOutlined />} onClick={load} />
          <Button type="primary" icon={<PlusOutlined />} data-testid="po-new" onClick={() => setFormOpen(true)}>
            {t('po.new')}
          </Button>
        </Space>
      }
    >
      <Tabs
        activeKey={status || 'all'}
        onChange={(k) => setParam('status', k === 'all' ? null : k)}
        items={[{ key: 'all', label: `${t('common.all')} ${total}` }, ...PO_STATUSES.map((s) => ({ key: s, label: <span data-testid={`po-tab-${s}`}>{`${optLabel(t, 'po.status', s)} ${counts[s] ?? 0}`}</span> }))]}
      />
      <Table
        size="small"
        rowKey="id"
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        data-testid="po-table"
        onRow={(r) => ({ onClick: () => setParam('id', String(r.id)), style: { cursor: 'pointer' } })}
        columns={[
          { title: t('po.ref'), dataIndex: 'ref', render: (v: string) => <a data-testid={`po-row-${v}`}>{v}</a> },
          { title: t('po.status'), dataIndex: 'status', render: (s: string) => <PoStatusTag status={s} /> },
          { title: t('sup.supplier'), dataIndex: 'supplier', render: (v: string, r: PurchaseOrderRow) => `${v} ${r.supplier_name}` },
          { title: t('doc.warehouse'), dataIndex: 'warehouse' },
          { title: t('po.total'), dataIndex: 'total_cents', align: 'right', render: formatCents },
          { title: t('po.expected'), dataIndex: 'expected_date', render: (v: string | null) => v ?? '-' },
          { title: t('po.source'), dataIndex: 'source', render: (s: string) => optLabel(t, 'po.source', s) },
          { title: t('doc.createdBy'), dataIndex: 'created_by' },
          { title: t('to.createdAt'), dataIndex: 'created_at', render: formatTime },
        ]}
      />
      <LoadMore count={list.items.length} hasMore={Boolean(list.next)} loading={list.loading} onLoadMore={list.loadMore} />
      <OrderForm
        open={formOpen}
        editing={null}
        onClose={() => setFormOpen(false)}
        onSaved={(po) => {
          setFormOpen(false);
          load();
          setParam('id', String(po.id));
        }}
      />
      <OrderDrawer orderId={openId} onClose={() => setParam('id', null)} onChanged={load} />
    </Card>
  );
}
