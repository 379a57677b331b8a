// Supplier bills (供应商账单): the received-not-billed list (暂估应付), bills entered against an order
// and matched three ways (order price, quantity received), their differences flagged, approval.
import { useCallback, useEffect, useState } from 'react';
import { Alert, App, Button, Card, Drawer, Input, InputNumber, Modal, Space, Table, Tabs, Tag, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { api, unwrap } from '../../api/client';
import type { Accrual, PurchaseOrder, SupplierBill, SupplierBillRow } from '../../api/types';
import LoadMore from '../../components/LoadMore';
import { errorText, useCursorList } from '../../components/useCursorList';
import { optLabel, useI18n } from '../../i18n';
import { centsToYuanInput, formatCents, formatQty, parseYuanToCents } from '../../money';
import { BillStatusTag } from './purchasingCommon';

interface Line {
  order_line_no: number;
  sku: string;
  qty: number;
  price: string;
}

function BillForm({ open, onClose, onSaved }: { open: boolean; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const [ref, setRef] = useState('');
  const [billNo, setBillNo] = useState('');
  const [po, setPo] = useState<PurchaseOrder | null>(null);
  const [lines, setLines] = useState<Line[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!open) return;
    setRef('');
    setBillNo('');
    setPo(null);
    setLines([]);
    setError(null);
  }, [open]);
  const find = async () => {
    setError(null);
    try {
      const out = await unwrap(api.GET('/api/v1/purchasing/orders/by-ref/{ref}', { params: { path: { ref: ref.trim() } } }));
      setPo(out);
      setLines(out.lines.filter((l) => l.received > l.billed).map((l) => ({ order_line_no: l.line_no, sku: l.sku, qty: l.received - l.billed, price: centsToYuanInput(l.price_cents) })));
    } catch (e) {
      setError(errorText(e));
    }
  };
  const save = async () => {
    if (!po) return;
    const body = [];
    for (const l of lines) {
      const price = parseYuanToCents(l.price);
      if (price === null || l.qty <= 0) {
        setError(t('doc.needCost'));
        return;
      }
      body.push({ order_line_no: l.order_line_no, qty: l.qty, price_cents: price });
    }
    try {
      await unwrap(api.POST('/api/v1/purchasing/bills', { body: { supplier: po.supplier, bill_no: billNo.trim(), order_id: po.id, lines: body } }));
      onSaved();
      onClose();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <Modal open={open} width={760} title={t('bill.new')} onCancel={onClose} onOk={save} okButtonProps={{ disabled: !po || !billNo.trim() || !lines.length }}>
      <Space wrap style={{ marginBottom: 12 }}>
        <Input placeholder={t('po.ref')} value={ref} onChange={(e) => setRef(e.target.value)} onPressEnter={find} style={{ width: 220 }} />
        <Button onClick={find}>{t('bill.findOrder')}</Button>
        <Input placeholder={t('bill.billNo')} value={billNo} onChange={(e) => setBillNo(e.target.value)} style={{ width: 200 }} />
      </Space>
      {po && (
        <Table
          size="small"
          rowKey="order_line_no"
          dataSource={lines}
          pagination={false}
          columns={[
            { title: '#', dataIndex: 'order_line_no' },
            { title: 'SKU', dataIndex: 'sku' },
            { title: t('doc.qty'), key: 'qty', render: (_: unknown, l: Line) => <InputNumber min={1} precision={0} value={l.qty} onChange={(v) => setLines((p) => p.map((x) => (x === l ? { ...x, qty: v ?? 1 } : x)))} /> },
            { title: t('bill.price'), key: 'price', render: (_: unknown, l: Line) => <Input value={l.price} style={{ width: 110 }} onChange={(e) => setLines((p) => p.map((x) => (x === l ? { ...x, price: e.target.value } : x)))} /> },
          ]}
        />
      )}
      {error && <Alert type="error" showIcon message={error} style={{ marginTop: 12 }} />}
    </Modal>
  );
}

function BillDrawer({ id, onClose, onChanged }: { id: number | null; onClose: () => void; onChanged: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [bill, setBill] = useState<SupplierBill | null>(null);
  useEffect(() => {
    setBill(null);
    if (id !== null) unwrap(api.GET('/api/v1/purchasing/bills/{bill_id}', { params: { path: { bill_id: id } } })).then(setBill).catch(() => setBill(null));
  }, [id]);
  const approve = async () => {
    if (!bill) return;
    try {
      setBill(await unwrap(api.POST('/api/v1/purchasing/bills/{bill_id}/approve', { params: { path: { bill_id: bill.id } } })));
      onChanged();
    } catch (e) {
      message.error(errorText(e));
    }
  };
  return (
    <Drawer open={id !== null} width={860} onClose={onClose} title={bill ? `${t('bill.title')} ${bill.bill_no}` : ''}>
      {bill && (
        <>
          <Space style={{ marginBottom: 12 }}>
            <BillStatusTag status={bill.status} />
            <span>{`${bill.supplier} · ${bill.order} · ${formatCents(bill.total_cents)}`}</span>
            {bill.status !== 'approved' && (
              <Button type="primary" size="small" onClick={approve}>
                {t('bill.approve')}
              </Button>
            )}
          </Space>
          <Table
            size="small"
            rowKey="line_no"
            dataSource={bill.lines}
            pagination={false}
            columns={[
              { title: 'SKU', dataIndex: 'sku' },
              { title: t('bill.billedQty'), dataIndex: 'qty', align: 'right', render: formatQty },
              { title: t('bill.unbilledReceived'), dataIndex: 'unbilled_received', align: 'right', render: formatQty },
              { title: t('bill.price'), dataIndex: 'price_cents', align: 'right', render: formatCents },
              { title: t('bill.poPrice'), dataIndex: 'po_price_cents', align: 'right', render: formatCents },
              { title: t('bill.priceDiff'), dataIndex: 'price_diff_cents', align: 'right', render: (v: number) => <span style={{ color: v ? '#cf1322' : undefined }}>{formatCents(v)}</span> },
              { title: t('bill.qtyDiff'), dataIndex: 'qty_diff', align: 'right', render: (v: number) => <span style={{ color: v ? '#cf1322' : undefined }}>{v}</span> },
              { title: t('bill.flags'), dataIndex: 'flags', render: (f: string[]) => (f.length ? f.map((x) => <Tag key={x} color="orange">{optLabel(t, 'bill.flag', x)}</Tag>) : <Tag color="green">{t('bill.status.matched')}</Tag>) },
            ]}
          />
        </>
      )}
    </Drawer>
  );
}

export default function BillsPage() {
  const { t } = useI18n();
  const [accruals, setAccruals] = useState<Accrual[]>([]);
  const [formOpen, setFormOpen] = useState(false);
  const [openId, setOpenId] = useState<number | null>(null);
  const bills = useCursorList<SupplierBillRow>((cursor) => unwrap(api.GET('/api/v1/purchasing/bills', { params: { query: { cursor } } })), []);
  const loadAccruals = useCallback(() => {
    unwrap(api.GET('/api/v1/purchasing/accruals')).then(setAccruals).catch(() => setAccruals([]));
  }, []);
  useEffect(loadAccruals, [loadAccruals]);
  const load = () => {
    void bills.reload();
    loadAccruals();
  };
  const unbilled = accruals.filter((a) => a.unbilled_qty !== 0);
  return (
    <Card
      title={<Typography.Text strong>{t('menu.bills')}</Typography.Text>}
      extra={
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setFormOpen(true)}>
          {t('bill.new')}
        </Button>
      }
    >
      <Tabs
        items={[
          {
            key: 'bills',
            label: t('bill.list'),
            children: (
              <>
                <Table
                  size="small"
                  rowKey="id"
                  loading={bills.loading}
                  dataSource={bills.items}
                  pagination={false}
                  onRow={(r) => ({ onClick: () => setOpenId(r.id), style: { cursor: 'pointer' } })}
                  columns={[
                    { title: t('bill.billNo'), dataIndex: 'bill_no' },
                    { title: t('bill.statusCol'), dataIndex: 'status', render: (s: string) => <BillStatusTag status={s} /> },
                    { title: t('sup.supplier'), dataIndex: 'supplier' },
                    { title: t('po.ref'), dataIndex: 'order' },
                    { title: t('po.total'), dataIndex: 'total_cents', align: 'right', render: formatCents },
                    { title: t('bill.date'), dataIndex: 'bill_date' },
                    { title: t('doc.createdBy'), dataIndex: 'created_by' },
                    { title: t('po.approvedBy'), dataIndex: 'approved_by', render: (v: string | null) => v ?? '-' },
                  ]}
                />
                <LoadMore count={bills.items.length} hasMore={Boolean(bills.next)} loading={bills.loading} onLoadMore={bills.loadMore} />
              </>
            ),
          },
          {
            key: 'accruals',
            label: `${t('bill.accruals')} ${unbilled.length}`,
            children: (
              <Table
                size="small"
                rowKey={(r) => `${r.order_id}-${r.order_line_no}`}
                dataSource={unbilled}
                columns={[
                  { title: t('po.ref'), dataIndex: 'order' },
                  { title: t('sup.supplier'), dataIndex: 'supplier' },
                  { title: 'SKU', dataIndex: 'sku' },
                  { title: t('to.received'), dataIndex: 'received', align: 'right', render: formatQty },
                  { title: t('po.billed'), dataIndex: 'billed', align: 'right', render: formatQty },
                  { title: t('bill.unbilledQty'), dataIndex: 'unbilled_qty', align: 'right', render: formatQty },
                  { title: t('bill.unbilledAmount'), dataIndex: 'unbilled_cents', align: 'right', render: formatCents },
                ]}
              />
            ),
          },
        ]}
      />
      <BillForm open={formOpen} onClose={() => setFormOpen(false)} onSaved={load} />
      <BillDrawer id={openId} onClose={() => setOpenId(null)} onChanged={load} />
    </Card>
  );
}
