// One order of the pool: status and actions (by what it may move to), money, buyer and channel
// identities, the address / memo / tags / presale day (editable while unshipped), lines, payments,
// related orders (split / merge) and the timeline of everything that happened to it.
import { useEffect, useState, type ReactNode } from 'react';
import {
  Alert,
  App,
  Button,
  Col,
  DatePicker,
  Descriptions,
  Drawer,
  Empty,
  Form,
  Input,
  InputNumber,
  Modal,
  Popconfirm,
  Row,
  Select,
  Space,
  Spin,
  Table,
  Tag,
  Timeline,
  Typography,
} from 'antd';
import dayjs from 'dayjs';
import { api, unwrap } from '../../api/client';
import type { OrderDetail, OrderLine } from '../../api/types';
import { useAuth } from '../../auth';
import { errorText } from '../../components/useCursorList';
import { formatTime } from '../../format';
import { optLabel, useI18n } from '../../i18n';
import { formatCents, formatQty, parseYuanToCents, centsToYuanInput } from '../../money';
import { HoldReasons, OrderStatusTag, UNSHIPPED, describeTimeline, payMethodOptions, provinceOptions, reasonText, statusLabel } from './orderCommon';

type Option = { value: string; label: string };
type Dialog = null | 'pay' | 'hold' | 'release' | 'route' | 'split' | 'cancel' | 'lines';
/** A line being edited: prices as typed (yuan). */
type EditLine = { key: number; sku: string; qty: number | null; price: string; discount: string };

/** The small dialogs of the drawer's actions: one field each (the split has its own table). */
function ActionModal({
  dialog,
  order,
  warehouses,
  onClose,
  onDone,
}: {
  dialog: Dialog;
  order: OrderDetail;
  warehouses: Option[];
  onClose: () => void;
  onDone: (msg: string) => void;
}) {
  const { t, lang } = useI18n();
  const [method, setMethod] = useState('wechat_pay');
  const [amount, setAmount] = useState('');
  const [txn, setTxn] = useState('');
  const [reason, setReason] = useState('');
  const [warehouse, setWarehouse] = useState('');
  const [moves, setMoves] = useState<Record<string, number | null>>({});
  const [edits, setEdits] = useState<EditLine[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    setError(null);
    setReason('');
    setTxn('');
    setMoves({});
    setWarehouse('');
    setAmount(centsToYuanInput(Math.max(0, order.total_cents - order.paid_cents)));
    setEdits(
      order.lines.map((l) => ({
        key: l.line_no,
        sku: l.sku,
        qty: l.qty,
        price: centsToYuanInput(l.unit_price_cents),
        discount: l.discount_cents ? centsToYuanInput(l.discount_cents) : '',
      })),
    );
  }, [dialog, order]);
  const updateLine = (key: number, patch: Partial<EditLine>) => setEdits((prev) => prev.map((l) => (l.key === key ? { ...l, ...patch } : l)));

  if (!dialog) return null;
  const ref = order.ref;
  const path = { params: { path: { ref } } };

  const submit = async () => {
    setError(null);
    setSaving(true);
    try {
      if (dialog === 'pay') {
        const cents = parseYuanToCents(amount);
        if (cents === null || cents <= 0) throw new Error(t('order.form.badMoney', { field: t('order.payAmount') }));
        const out = await unwrap(api.POST('/api/v1/orders/{ref}/pay', { ...path, body: { method, amount_cents: cents, txn_ref: txn.trim() || null } }));
        onDone(t('order.actionDone', { ref, status: statusLabel(t, out.status) }));
      } else if (dialog === 'hold') {
        if (!reason.trim()) throw new Error(t('order.reasonRequired'));
        const out = await unwrap(api.POST('/api/v1/orders/{ref}/hold', { ...path, body: { reason: reason.trim() } }));
        onDone(t('order.actionDone', { ref, status: statusLabel(t, out.status) }));
      } else if (dialog === 'release' || dialog === 'route') {
        const body = { warehouse: warehouse || null };
        const out =
          dialog === 'release'
            ? await unwrap(api.POST('/api/v1/orders/{ref}/release', { ...path, body }))
            : await unwrap(api.POST('/api/v1/orders/{ref}/route', { ...path, body }));
        const reasons = out.hold_reasons.map((r) => reasonText(lang, r)).join('；');
        onDone(t('order.actionDone', { ref, status: statusLabel(t, out.status) + (reasons ? ` (${reasons})` : '') }));
      } else if (dialog === 'cancel') {
        await unwrap(api.POST('/api/v1/orders/{ref}/cancel', { ...path, body: { reason: reason.trim() || null } }));
        onDone(t('order.actionDone', { ref, status: statusLabel(t, 'cancelled') }));
      } else if (dialog === 'split') {
        const part: Record<string, number> = {};
        for (const l of order.lines) {
          const n = moves[l.sku];
          if (n) part[l.sku] = (part[l.sku] ?? 0) + n;
        }
        if (Object.keys(part).length === 0) throw new Error(t('order.splitNothing'));
        const out = await unwrap(api.POST('/api/v1/orders/{ref}/split', { ...path, body: { parts: [part] } }));
        const made = out.filter((o) => o.ref !== ref).map((o) => o.ref);
        onDone(t('order.splitDone', { refs: made.join(', ') }));
      } else if (dialog === 'lines') {
        const lines = edits.map((l, i) => {
          const price = parseYuanToCents(l.price);
          const discount = l.discount.trim() ? parseYuanToCents(l.discount) : 0;
          if (!l.sku.trim() || !l.qty) throw new Error(t('order.linesIncomplete', { n: i + 1 }));
          if (price === null || discount === null) throw new Error(t('order.form.badMoney', { field: `${t('order.unitPrice')} #${i + 1}` }));
          return { sku: l.sku.trim(), qty: l.qty, unit_price_cents: price, discount_cents: discount };
        });
        if (lines.length === 0) throw new Error(t('order.linesIncomplete', { n: 1 }));
        const out = await unwrap(api.PUT('/api/v1/orders/{ref}/lines', { ...path, body: { lines } }));
        const reasons = out.hold_reasons.map((r) => reasonText(lang, r)).join('；');
        onDone(t('order.actionDone', { ref, status: statusLabel(t, out.status) + (reasons ? ` (${reasons})` : '') }));
      }
      onClose();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setSaving(false);
    }
  };

  const titles: Record<Exclude<Dialog, null>, string> = {
    pay: t('order.action.pay'),
    hold: t('order.action.hold'),
    release: t('order.action.release'),
    route: t('order.action.route'),
    split: t('order.action.split'),
    cancel: t('order.action.cancel'),
    lines: t('order.action.lines'),
  };

  let body: ReactNode = null;
  if (dialog === 'pay') {
    body = (
      <Space direction="vertical" style={{ width: '100%' }}>
        <Select style={{ width: '100%' }} value={method} onChange={setMethod} options={payMethodOptions(t)} data-testid="order-pay-method" />
        <Input addonBefore={t('order.payAmount')} value={amount} onChange={(e) => setAmount(e.target.value)} data-testid="order-pay-amount" />
        <Input addonBefore={t('order.txnRef')} value={txn} maxLength={64} onChange={(e) => setTxn(e.target.value)} data-testid="order-pay-txn" />
      </Space>
    );
  } else if (dialog === 'hold' || dialog === 'cancel') {
    body = <Input value={reason} maxLength={200} placeholder={t('order.reason')} onChange={(e) => setReason(e.target.value)} data-testid="order-action-reason" />;
  } else if (dialog === 'release' || dialog === 'route') {
    body = (
      <Select
        style={{ width: '100%' }}
        value={warehouse}
        onChange={setWarehouse}
        options={[{ value: '', label: t('order.warehouseAuto') }, ...warehouses]}
        data-testid="order-action-warehouse"
      />
    );
  } else if (dialog === 'split') {
    body = (
      <>
        <Typography.Paragraph type="secondary">{t('order.splitHint')}</Typography.Paragraph>
        <Table<OrderLine>
          size="small"
          rowKey="line_no"
          pagination={false}
          dataSource={order.lines}
          onRow={(l) => ({ 'data-testid': 'order-split-line', 'data-sku': l.sku }) as never}
          columns={[
            { title: t('order.sku'), dataIndex: 'sku', width: 140 },
            { title: t('order.skuName'), dataIndex: 'name' },
            { title: t('order.qty'), dataIndex: 'qty', width: 70, align: 'right', render: formatQty },
            {
              title: t('order.splitQty'),
              key: 'move',
              width: 120,
              render: (_, l) => (
                <InputNumber
                  min={0}
                  max={l.qty}
                  precision={0}
                  value={moves[l.sku] ?? null}
                  onChange={(v) => setMoves((prev) => ({ ...prev, [l.sku]: typeof v === 'number' ? v : null }))}
                  style={{ width: '100%' }}
                  data-testid="order-split-qty"
                />
              ),
            },
          ]}
        />
      </>
    );
  }

  if (dialog === 'lines') {
    body = (
      <>
        <Typography.Paragraph type="secondary">{t('order.linesHint')}</Typography.Paragraph>
        <Table<EditLine>
          size="small"
          rowKey="key"
          pagination={false}
          dataSource={edits}
          onRow={() => ({ 'data-testid': 'order-edit-line' }) as never}
          columns={[
            { title: t('order.sku'), key: 'sku', render: (_, l) => <Input value={l.sku} maxLength={64} onChange={(e) => updateLine(l.key, { sku: e.target.value })} data-testid="edit-line-sku" /> },
            { title: t('order.qty'), key: 'qty', width: 90, render: (_, l) => <InputNumber value={l.qty} min={1} max={1_000_000_000} precision={0} style={{ width: '100%' }} onChange={(v) => updateLine(l.key, { qty: typeof v === 'number' ? v : null })} data-testid="edit-line-qty" /> },
            { title: t('order.form.priceYuan'), key: 'price', width: 110, render: (_, l) => <Input value={l.price} onChange={(e) => updateLine(l.key, { price: e.target.value })} data-testid="edit-line-price" /> },
            { title: t('order.form.discountYuan'), key: 'discount', width: 110, render: (_, l) => <Input value={l.discount} onChange={(e) => updateLine(l.key, { discount: e.target.value })} data-testid="edit-line-discount" /> },
            {
              key: 'remove',
              width: 40,
              render: (_, l) => (
                <Button size="small" type="text" danger disabled={edits.length === 1} onClick={() => setEdits((prev) => prev.filter((x) => x.key !== l.key))} data-testid="edit-line-remove">
                  ×
                </Button>
              ),
            },
          ]}
        />
        <Button size="small" style={{ marginTop: 8 }} onClick={() => setEdits((prev) => [...prev, { key: Math.max(0, ...prev.map((x) => x.key)) + 1, sku: '', qty: 1, price: '', discount: '' }])} data-testid="edit-line-add">
          {t('order.addLine')}
        </Button>
      </>
    );
  }

  return (
    <Modal
      open
      title={`${titles[dialog]} · ${ref}`}
      width={dialog === 'split' || dialog === 'lines' ? 680 : 440}
      onCancel={onClose}
      onOk={() => void submit()}
      okText={titles[dialog]}
      okButtonProps={{ danger: dialog === 'cancel', 'data-testid': 'order-action-ok' } as never}
      confirmLoading={saving}
      maskClosable={false}
      destroyOnHidden
    >
      <div data-testid={`order-${dialog}-form`}>
        {body}
        {error && <Alert type="error" showIcon message={error} style={{ marginTop: 8 }} data-testid="order-action-error" />}
      </div>
    </Modal>
  );
}

/** Address, memo, tags and presale day of an unshipped order. */
function EditForm({ order, onSaved }: { order: OrderDetail; onSaved: (msg: string) => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm();
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const editable = UNSHIPPED.includes(order.status);

  useEffect(() => {
    form.setFieldsValue({
      ...order.address,
      seller_memo: order.seller_memo ?? '',
      tags: order.tags,
      ship_after: order.ship_after ? dayjs(order.ship_after) : null,
    });
    setError(null);
  }, [order, form]);

  const save = async () => {
    setError(null);
    const v = form.getFieldsValue();
    const address = {
      receiver: (v.receiver ?? '').trim(),
      phone: (v.phone ?? '').trim(),
      province: v.province ?? '',
      city: (v.city ?? '').trim(),
      district: (v.district ?? '').trim(),
      detail: (v.detail ?? '').trim(),
    };
    const a = order.address;
    const addressChanged = (Object.keys(address) as (keyof typeof address)[]).some((k) => address[k] !== (a[k] ?? ''));
    const memo = (v.seller_memo ?? '').trim();
    const tags: string[] = (v.tags ?? []).map((x: string) => x.trim()).filter(Boolean);
    const shipAfter = v.ship_after ? (v.ship_after as dayjs.Dayjs).format('YYYY-MM-DD') : null;
    const shipChanged = shipAfter !== (order.ship_after ?? null);
    const body = {
      clear_ship_after: shipChanged && !shipAfter,
      ...(addressChanged ? { address } : {}),
      ...(memo !== (order.seller_memo ?? '') ? { seller_memo: memo } : {}),
      ...(JSON.stringify(tags) !== JSON.stringify(order.tags) ? { tags } : {}),
      ...(shipChanged && shipAfter ? { ship_after: shipAfter } : {}),
    };
    if (Object.keys(body).length === 1 && !body.clear_ship_after) return;
    setSaving(true);
    try {
      await unwrap(api.PATCH('/api/v1/orders/{ref}', { params: { path: { ref: order.ref } }, body }));
      onSaved(t('order.saved', { ref: order.ref }));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Form form={form} layout="vertical" size="small" disabled={!editable} data-testid="order-edit-form">
      <Row gutter={8}>
        <Col span={6}>
          <Form.Item name="receiver" label={t('order.receiver')}>
            <Input maxLength={64} data-testid="order-edit-receiver" />
          </Form.Item>
        </Col>
        <Col span={6}>
          <Form.Item name="phone" label={t('order.receiverPhone')}>
            <Input maxLength={32} data-testid="order-edit-phone" />
          </Form.Item>
        </Col>
        <Col span={6}>
          <Form.Item name="province" label={t('order.province')}>
            <Select showSearch options={provinceOptions} data-testid="order-edit-province" />
          </Form.Item>
        </Col>
        <Col span={6}>
          <Form.Item name="city" label={t('order.city')}>
            <Input maxLength={64} data-testid="order-edit-city" />
          </Form.Item>
        </Col>
        <Col span={6}>
          <Form.Item name="district" label={t('order.district')}>
            <Input maxLength={64} data-testid="order-edit-district" />
          </Form.Item>
        </Col>
        <Col span={18}>
          <Form.Item name="detail" label={t('order.detailAddress')}>
            <Input maxLength={200} data-testid="order-edit-detail" />
          </Form.Item>
        </Col>
        <Col span={12}>
          <Form.Item name="seller_memo" label={t('order.sellerMemo')}>
            <Input maxLength={500} data-testid="order-edit-memo" />
          </Form.Item>
        </Col>
        <Col span={6}>
          <Form.Item name="tags" label={t('order.tags')}>
            <Select mode="tags" tokenSeparators={[',', '，', ' ']} open={false} suffixIcon={null} data-testid="order-edit-tags" />
          </Form.Item>
        </Col>
        <Col span={6}>
          <Form.Item name="ship_after" label={t('order.shipAfter')}>
            <DatePicker style={{ width: '100%' }} data-testid="order-edit-ship-after" />
          </Form.Item>
        </Col>
      </Row>
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 8 }} data-testid="order-edit-error" />}
      {editable && (
        <Button type="primary" size="small" loading={saving} onClick={() => void save()} data-testid="order-edit-save">
          {t('order.save')}
        </Button>
      )}
    </Form>
  );
}

function RefLinks({ refs, onOpen }: { refs: string[]; onOpen: (ref: string) => void }) {
  return (
    <Space size={4} wrap>
      {refs.map((r) => (
        <Typography.Link key={r} onClick={() => onOpen(r)} data-testid="order-related-link">
          {r}
        </Typography.Link>
      ))}
    </Space>
  );
}

export default function OrderDrawer({
  orderRef,
  version = 0,
  warehouses,
  onClose,
  onOpen,
  onChanged,
}: {
  orderRef: string | null;
  version?: number;
  warehouses: Option[];
  onClose: () => void;
  onOpen: (ref: string) => void;
  onChanged: () => void;
}) {
  const { t, lang } = useI18n();
  const { can } = useAuth();
  const { message, modal } = App.useApp();
  const [order, setOrder] = useState<OrderDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (orderRef === null) {
      setOrder(null);
      return;
    }
    let live = true;
    setError(null);
    setLoading(true);
    unwrap(api.GET('/api/v1/orders/{ref}', { params: { path: { ref: orderRef } } }))
      .then((d) => live && setOrder(d))
      .catch((e) => {
        if (!live) return;
        setOrder(null);
        setError(errorText(e));
      })
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [orderRef, version]);

  const done = (msg: string) => {
    message.success(<span data-testid="order-action-done">{msg}</span>);
    onChanged();
  };

  const quick = async (action: 'ship' | 'complete' | 'unmerge') => {
    if (!order) return;
    setBusy(true);
    const path = { params: { path: { ref: order.ref } } };
    try {
      if (action === 'ship') {
        await unwrap(api.POST('/api/v1/orders/{ref}/ship', { ...path, body: {} }));
        done(t('order.actionDone', { ref: order.ref, status: statusLabel(t, 'shipped') }));
      } else if (action === 'complete') {
        const out = await unwrap(api.POST('/api/v1/orders/{ref}/complete', path));
        done(t('order.actionDone', { ref: order.ref, status: statusLabel(t, out.status) }));
      } else {
        const out = await unwrap(api.POST('/api/v1/orders/{ref}/unmerge', path));
        done(t('order.unmerged', { refs: out.map((o) => o.ref).join(', ') }));
      }
    } catch (e) {
      modal.error({ title: order.ref, content: <span data-testid="order-action-error">{errorText(e)}</span> });
    } finally {
      setBusy(false);
    }
  };

  const review = can('orders.order.review');
  const allowed = new Set(order?.allowed ?? []);
  const s = order?.status;
  const actions = order && (
    <Space wrap size={4} data-testid="order-actions">
      {review && s === 'pending_payment' && (
        <Button size="small" type="primary" onClick={() => setDialog('pay')} data-testid="order-pay">
          {t('order.action.pay')}
        </Button>
      )}
      {review && s === 'on_hold' && (
        <Button size="small" type="primary" onClick={() => setDialog('release')} data-testid="order-release">
          {t('order.action.release')}
        </Button>
      )}
      {review && (s === 'ready' || s === 'allocated') && (
        <Button size="small" onClick={() => setDialog('route')} data-testid="order-route">
          {t('order.action.route')}
        </Button>
      )}
      {can('orders.order.ship') && allowed.has('shipped') && (
        <Popconfirm title={t('order.shipConfirm', { warehouse: order.warehouse ?? '-' })} onConfirm={() => void quick('ship')} okButtonProps={{ 'data-testid': 'order-ship-confirm' } as never}>
          <Button size="small" type="primary" loading={busy} data-testid="order-ship">
            {t('order.action.ship')}
          </Button>
        </Popconfirm>
      )}
      {can('orders.order.ship') && allowed.has('completed') && (
        <Popconfirm title={t('order.completeConfirm')} onConfirm={() => void quick('complete')} okButtonProps={{ 'data-testid': 'order-complete-confirm' } as never}>
          <Button size="small" type="primary" loading={busy} data-testid="order-complete">
            {t('order.action.complete')}
          </Button>
        </Popconfirm>
      )}
      {review && UNSHIPPED.includes(s ?? '') && order.lines.length > 0 && (
        <Button size="small" onClick={() => setDialog('lines')} data-testid="order-edit-lines">
          {t('order.action.lines')}
        </Button>
      )}
      {review && ['on_hold', 'ready', 'allocated'].includes(s ?? '') && order.lines.length > 0 && (
        <Button size="small" onClick={() => setDialog('split')} data-testid="order-split">
          {t('order.action.split')}
        </Button>
      )}
      {review && order.related.merged_from.length > 0 && UNSHIPPED.includes(s ?? '') && (
        <Popconfirm title={t('order.unmergeConfirm')} onConfirm={() => void quick('unmerge')} okButtonProps={{ 'data-testid': 'order-unmerge-confirm' } as never}>
          <Button size="small" loading={busy} data-testid="order-unmerge">
            {t('order.action.unmerge')}
          </Button>
        </Popconfirm>
      )}
      {review && allowed.has('on_hold') && (
        <Button size="small" onClick={() => setDialog('hold')} data-testid="order-hold">
          {t('order.action.hold')}
        </Button>
      )}
      {can('orders.order.cancel') && allowed.has('cancelled') && (
        <Button size="small" danger onClick={() => setDialog('cancel')} data-testid="order-cancel">
          {t('order.action.cancel')}
        </Button>
      )}
    </Space>
  );

  const rel = order?.related;
  const hasRelated = Boolean(rel) && Boolean(rel!.split_from || rel!.merged_into || rel!.split_into.length || rel!.merged_from.length);

  return (
    <Drawer
      open={orderRef !== null}
      onClose={onClose}
      width={1000}
      title={order ? `${t('order.detail')} · ${order.ref}` : t('order.detail')}
      extra={actions}
      data-testid="order-drawer"
    >
      {loading && !order && <Spin style={{ display: 'block', margin: '24px auto' }} />}
      {error && <Alert type="error" showIcon message={error} data-testid="order-detail-error" />}
      {order && (
        <div data-testid="order-detail">
          <Descriptions size="small" bordered column={3} style={{ marginBottom: 12 }}>
            <Descriptions.Item label={t('order.ref')}>
              <Typography.Text strong copyable data-testid="order-detail-ref">
                {order.ref}
              </Typography.Text>
            </Descriptions.Item>
            <Descriptions.Item label={t('order.status')}>
              <span data-testid="order-detail-status">
                <OrderStatusTag status={order.status} />
              </span>
            </Descriptions.Item>
            <Descriptions.Item label={t('order.externalRef')}>{order.external_ref || '-'}</Descriptions.Item>
            <Descriptions.Item label={t('order.channel')}>{`${order.channel} ${order.channel_name}`}</Descriptions.Item>
            <Descriptions.Item label={t('order.warehouse')}>
              <span data-testid="order-detail-warehouse">{order.warehouse || '-'}</span>
              {order.route_rule && (
                <Typography.Text type="secondary" style={{ marginLeft: 6 }}>
                  {order.route_rule}
                </Typography.Text>
              )}
            </Descriptions.Item>
            <Descriptions.Item label={t('order.orderedAt')}>{formatTime(order.ordered_at)}</Descriptions.Item>
            <Descriptions.Item label={t('order.buyer')}>
              {order.buyer} {order.buyer_phone && <Typography.Text type="secondary">{order.buyer_phone}</Typography.Text>}
            </Descriptions.Item>
            <Descriptions.Item label={t('order.identities')} span={2}>
              <Space size={[2, 2]} wrap>
                <Tag>
                  {t('order.customer')} {order.customer}
                </Tag>
                {order.identities.map((x) => (
                  <Tag key={`${x.channel}/${x.external_id}`} color="blue">
                    {x.channel}: {x.external_id}
                  </Tag>
                ))}
              </Space>
            </Descriptions.Item>
            <Descriptions.Item label={t('order.money')} span={3}>
              <Space size="large" wrap data-testid="order-money">
                <span>
                  {t('order.goods')} {formatCents(order.goods_cents)}
                </span>
                <span>
                  {t('order.discount')} -{formatCents(order.discount_cents)}
                </span>
                <span>
                  {t('order.shippingFee')} {formatCents(order.shipping_fee_cents)}
                </span>
                <Typography.Text strong data-testid="order-payable">
                  {t('order.payable')} {formatCents(order.total_cents)}
                </Typography.Text>
                <Typography.Text type={order.paid_cents < order.total_cents ? 'warning' : 'success'} data-testid="order-paid">
                  {t('order.paid')} {formatCents(order.paid_cents)}
                </Typography.Text>
              </Space>
            </Descriptions.Item>
            {order.hold_reasons.length > 0 && order.status === 'on_hold' && (
              <Descriptions.Item label={t('order.holdReasons')} span={3}>
                <HoldReasons reasons={order.hold_reasons} />
              </Descriptions.Item>
            )}
            <Descriptions.Item label={t('order.buyerRemark')} span={3}>
              <span data-testid="order-buyer-remark">{order.buyer_remark || '-'}</span>
            </Descriptions.Item>
            {order.shipped_at && <Descriptions.Item label={t('order.shippedAt')}>{formatTime(order.shipped_at)}</Descriptions.Item>}
            {order.closed_at && <Descriptions.Item label={t('order.closedAt')}>{formatTime(order.closed_at)}</Descriptions.Item>}
          </Descriptions>

          <Typography.Title level={5}>{t('order.address')}</Typography.Title>
          <EditForm order={order} onSaved={done} />

          <Typography.Title level={5} style={{ marginTop: 16 }}>
            {t('order.lines')}
          </Typography.Title>
          <Table<OrderLine>
            size="small"
            rowKey="line_no"
            pagination={false}
            dataSource={order.lines}
            data-testid="order-lines"
            onRow={(l) => ({ 'data-testid': 'order-line', 'data-sku': l.sku }) as never}
            columns={[
              { title: '#', dataIndex: 'line_no', width: 40 },
              { title: t('order.sku'), dataIndex: 'sku', width: 140, render: (v: string, l) => (l.bundle ? `${v} (${t('order.bundle')} ${l.bundle})` : v) },
              { title: t('order.skuName'), dataIndex: 'name' },
              { title: t('order.qty'), dataIndex: 'qty', width: 70, align: 'right', render: (v: number) => <span data-testid="order-line-qty">{formatQty(v)}</span> },
              { title: t('order.unitPrice'), dataIndex: 'unit_price_cents', width: 100, align: 'right', render: formatCents },
              { title: t('order.lineDiscount'), dataIndex: 'discount_cents', width: 90, align: 'right', render: (v: number) => (v ? formatCents(v) : '-') },
              { title: t('order.revenue'), dataIndex: 'revenue_cents', width: 100, align: 'right', render: formatCents },
              { title: t('order.returnedQty'), dataIndex: 'returned_qty', width: 60, align: 'right', render: (v: number) => (v ? formatQty(v) : '-') },
            ]}
          />

          <Row gutter={16} style={{ marginTop: 16 }}>
            <Col span={hasRelated ? 14 : 24}>
              <Typography.Title level={5}>{t('order.payments')}</Typography.Title>
              {order.payments.length === 0 ? (
                <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} />
              ) : (
                <Table
                  size="small"
                  rowKey={(p) => `${p.paid_at}-${p.method}-${p.amount_cents}`}
                  pagination={false}
                  dataSource={order.payments}
                  data-testid="order-payments"
                  columns={[
                    { title: t('order.payMethod'), dataIndex: 'method', render: (v: string) => optLabel(t, 'order.pay', v) },
                    { title: t('order.amount'), dataIndex: 'amount_cents', align: 'right', render: formatCents },
                    { title: t('order.paidAt'), dataIndex: 'paid_at', render: formatTime },
                    { title: t('order.txnRef'), dataIndex: 'txn_ref', render: (v: string | null) => v || '-' },
                  ]}
                />
              )}
              {order.returns.length > 0 && (
                <>
                  <Typography.Title level={5} style={{ marginTop: 12 }}>
                    {t('order.returns')}
                  </Typography.Title>
                  <Table
                    size="small"
                    rowKey="ref"
                    pagination={false}
                    dataSource={order.returns}
                    columns={[
                      { title: t('order.ref'), dataIndex: 'ref' },
                      { title: t('order.orderedAt'), dataIndex: 'at', render: formatTime },
                      { title: t('order.refund'), dataIndex: 'refund_cents', align: 'right', render: formatCents },
                    ]}
                  />
                </>
              )}
            </Col>
            {hasRelated && rel && (
              <Col span={10}>
                <Typography.Title level={5}>{t('order.related')}</Typography.Title>
                <Descriptions size="small" column={1} bordered data-testid="order-related">
                  {rel.split_from && (
                    <Descriptions.Item label={t('order.splitFrom')}>
                      <RefLinks refs={[rel.split_from]} onOpen={onOpen} />
                    </Descriptions.Item>
                  )}
                  {rel.split_into.length > 0 && (
                    <Descriptions.Item label={t('order.splitInto')}>
                      <RefLinks refs={rel.split_into} onOpen={onOpen} />
                    </Descriptions.Item>
                  )}
                  {rel.merged_into && (
                    <Descriptions.Item label={t('order.mergedInto')}>
                      <RefLinks refs={[rel.merged_into]} onOpen={onOpen} />
                    </Descriptions.Item>
                  )}
                  {rel.merged_from.length > 0 && (
                    <Descriptions.Item label={t('order.mergedFrom')}>
                      <RefLinks refs={rel.merged_from} onOpen={onOpen} />
                    </Descriptions.Item>
                  )}
                </Descriptions>
              </Col>
            )}
          </Row>

          <Typography.Title level={5} style={{ marginTop: 16 }}>
            {t('order.timeline')}
          </Typography.Title>
          <Timeline
            data-testid="order-timeline"
            items={order.timeline.map((e, i) => {
              const after = (e.after ?? {}) as Record<string, unknown>;
              const color = after.status === 'on_hold' || after.status === 'cancelled' ? 'red' : after.status ? 'blue' : 'gray';
              return {
                key: i,
                color,
                children: (
                  <div data-testid="order-timeline-item">
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {formatTime(e.at)} · {e.actor}
                    </Typography.Text>
                    <div>{describeTimeline(t, lang, e)}</div>
                  </div>
                ),
              };
            })}
          />
        </div>
      )}
      {order && <ActionModal dialog={dialog} order={order} warehouses={warehouses} onClose={() => setDialog(null)} onDone={done} />}
    </Drawer>
  );
}
