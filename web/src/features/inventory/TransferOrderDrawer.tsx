// One transfer order: header, lines (planned, shipped, received, lost, in transit), the ledger rows
// it wrote, and its actions: edit / ship / cancel a draft, receive per line, print. Serial-tracked
// lines are shipped and received by scanning their units' serial numbers.
import { useCallback, useEffect, useState } from 'react';
import { Alert, App, Button, Descriptions, Drawer, Empty, InputNumber, Modal, Popconfirm, Space, Spin, Table, Tag, Typography } from 'antd';
import { PrinterOutlined } from '@ant-design/icons';
import { api, unwrap } from '../../api/client';
import type { TransferOrder, TransferOrderLine } from '../../api/types';
import { useAuth } from '../../auth';
import { errorText } from '../../components/useCursorList';
import { formatTime } from '../../format';
import { kindLabel, useI18n } from '../../i18n';
import { formatCents, formatQty } from '../../money';
import { QtyCell } from './docCommon';
import { SerialScanBox, TransferStatusTag, WarehouseCode, firstDuplicate, openPdf, serialList } from './transitCommon';

const isSerial = (l: TransferOrderLine) => l.tracking === 'serial';

/** Shipping an order with serial-tracked lines: the units of each such line are scanned. */
function ShipModal({ order, onClose, onDone }: { order: TransferOrder; onClose: () => void; onDone: (o: TransferOrder) => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [scans, setScans] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const serialLines = order.line_items.filter(isSerial);

  const submit = async () => {
    setError(null);
    const serials: Record<string, string[]> = {};
    for (const l of serialLines) {
      const list = serialList(scans[l.sku] ?? '');
      if (list.length !== l.qty) return setError(t('to.serialCountMismatch', { sku: l.sku, qty: l.qty, n: list.length }));
      const dup = firstDuplicate(list);
      if (dup) return setError(t('to.serialDuplicate', { sku: l.sku, serial: dup }));
      serials[l.sku] = list;
    }
    setSaving(true);
    try {
      const out = await unwrap(
        api.POST('/api/v1/inventory/transfer-orders/{order_id}/ship', { params: { path: { order_id: order.id } }, body: { serials } }),
      );
      message.success(t('to.shippedOk', { ref: out.ref }));
      onDone(out);
      onClose();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      open
      title={t('to.shipTitle', { ref: order.ref })}
      width={720}
      onCancel={onClose}
      maskClosable={false}
      okText={t('to.ship')}
      onOk={() => void submit()}
      confirmLoading={saving}
      okButtonProps={{ 'data-testid': 'to-ship-submit' } as never}
    >
      <div data-testid="to-ship-form">
        <Typography.Paragraph>{t('to.shipConfirm', { from: order.from_warehouse, n: order.lines })}</Typography.Paragraph>
        <Typography.Paragraph type="secondary">{t('to.shipSerialHint')}</Typography.Paragraph>
        {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 8 }} data-testid="to-ship-error" />}
        <Table<TransferOrderLine>
          size="small"
          rowKey="line_no"
          pagination={false}
          dataSource={serialLines}
          onRow={(l) => ({ 'data-testid': 'to-ship-line', 'data-sku': l.sku }) as never}
          columns={[
            { title: t('doc.sku'), dataIndex: 'sku', width: 150 },
            { title: t('doc.skuName'), dataIndex: 'sku_name', width: 160 },
            { title: t('to.qty'), dataIndex: 'qty', width: 70, align: 'right', render: formatQty },
            {
              title: t('to.serials'),
              key: 'serials',
              render: (_, l) => (
                <SerialScanBox sku={l.sku} value={scans[l.sku] ?? ''} expected={l.qty} onChange={(v) => setScans((prev) => ({ ...prev, [l.sku]: v }))} />
              ),
            },
          ]}
        />
      </div>
    </Modal>
  );
}

/** Per-line received quantities: each defaults to what was shipped, at most that. A serial-tracked
 * line is received by scanning the units that arrived: its quantity is the count scanned. */
function ReceiveModal({ order, onClose, onDone }: { order: TransferOrder | null; onClose: () => void; onDone: (o: TransferOrder) => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [received, setReceived] = useState<Record<string, number | null>>({});
  const [scans, setScans] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    setError(null);
    setScans({});
    if (order) setReceived(Object.fromEntries(order.line_items.map((l) => [l.sku, l.shipped])));
  }, [order]);

  if (!order) return null;
  const got = (l: TransferOrderLine) => (isSerial(l) ? serialList(scans[l.sku] ?? '').length : (received[l.sku] ?? 0));
  const lost = order.line_items.reduce((n, l) => n + Math.max(0, l.shipped - got(l)), 0);
  const anySerial = order.line_items.some(isSerial);

  const submit = async () => {
    setError(null);
    const lines = [];
    for (const l of order.line_items) {
      if (!isSerial(l)) {
        lines.push({ sku: l.sku, received: received[l.sku] ?? 0 });
        continue;
      }
      const list = serialList(scans[l.sku] ?? '');
      const dup = firstDuplicate(list);
      if (dup) return setError(t('to.serialDuplicate', { sku: l.sku, serial: dup }));
      const stray = list.find((x) => !l.serials_in_transit.includes(x));
      if (stray) return setError(t('to.serialNotInTransit', { sku: l.sku, serial: stray }));
      lines.push({ sku: l.sku, serials: list });
    }
    setSaving(true);
    try {
      const out = await unwrap(
        api.POST('/api/v1/inventory/transfer-orders/{order_id}/receive', { params: { path: { order_id: order.id } }, body: { lines } }),
      );
      message.success(t('to.receivedOk', { ref: out.ref }));
      onDone(out);
      onClose();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      open
      title={t('to.receiveTitle', { ref: order.ref })}
      width={anySerial ? 860 : 720}
      onCancel={onClose}
      maskClosable={false}
      okText={t('to.receive')}
      onOk={() => void submit()}
      confirmLoading={saving}
      okButtonProps={{ 'data-testid': 'to-receive-submit' } as never}
    >
      <div data-testid="to-receive-form">
        <Typography.Paragraph type="secondary">{t('to.receiveHint')}</Typography.Paragraph>
        {anySerial && <Typography.Paragraph type="secondary">{t('to.receiveSerialHint')}</Typography.Paragraph>}
        {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 8 }} data-testid="to-receive-error" />}
        <Table<TransferOrderLine>
          size="small"
          rowKey="line_no"
          pagination={false}
          dataSource={order.line_items}
          onRow={(l) => ({ 'data-testid': 'to-receive-line', 'data-sku': l.sku }) as never}
          columns={[
            { title: t('doc.sku'), dataIndex: 'sku', width: 150 },
            { title: t('doc.skuName'), dataIndex: 'sku_name' },
            { title: t('to.shipped'), dataIndex: 'shipped', width: 80, align: 'right', render: formatQty },
            {
              title: t('to.received'),
              key: 'received',
              width: anySerial ? 280 : 130,
              render: (_, l) =>
                isSerial(l) ? (
                  <Space direction="vertical" size={2} style={{ width: '100%' }}>
                    <SerialScanBox sku={l.sku} value={scans[l.sku] ?? ''} expected={l.shipped} onChange={(v) => setScans((prev) => ({ ...prev, [l.sku]: v }))} />
                    <Typography.Text type="secondary" style={{ fontSize: 12 }} data-testid="to-serials-in-transit">
                      {t('to.serialsInTransit', { list: l.serials_in_transit.join(', ') })}
                    </Typography.Text>
                  </Space>
                ) : (
                  <InputNumber
                    value={received[l.sku]}
                    min={0}
                    max={l.shipped}
                    precision={0}
                    style={{ width: '100%' }}
                    onChange={(v) => setReceived((prev) => ({ ...prev, [l.sku]: typeof v === 'number' ? v : null }))}
                    data-testid="to-receive-qty"
                  />
                ),
            },
            { title: t('to.lost'), key: 'lost', width: 70, align: 'right', render: (_, l) => <span data-testid="to-receive-line-lost">{formatQty(Math.max(0, l.shipped - got(l)))}</span> },
          ]}
        />
        {lost > 0 && <Alert type="warning" showIcon style={{ marginTop: 8 }} message={t('to.receiveLoss', { n: lost })} data-testid="to-receive-loss" />}
      </div>
    </Modal>
  );
}

export default function TransferOrderDrawer({
  orderId,
  version = 0,
  onClose,
  onChanged,
  onEdit,
}: {
  orderId: number | null;
  version?: number;
  onClose: () => void;
  onChanged: () => void;
  onEdit: (o: TransferOrder) => void;
}) {
  const { t } = useI18n();
  const { can } = useAuth();
  const { message, modal } = App.useApp();
  const [order, setOrder] = useState<TransferOrder | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [busy, setBusy] = useState(false);
  const [receiving, setReceiving] = useState(false);
  const [shipping, setShipping] = useState(false);

  useEffect(() => {
    setOrder(null);
    setError(null);
    if (orderId === null) return;
    let live = true;
    setLoading(true);
    unwrap(api.GET('/api/v1/inventory/transfer-orders/{order_id}', { params: { path: { order_id: orderId } } }))
      .then((d) => live && setOrder(d))
      .catch((e) => live && setError(errorText(e)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [orderId, version]);

  const changed = useCallback(
    (o: TransferOrder) => {
      setOrder(o);
      onChanged();
    },
    [onChanged],
  );

  const act = async (action: 'ship' | 'cancel') => {
    if (!order) return;
    setBusy(true);
    try {
      const path = { params: { path: { order_id: order.id } } };
      const out =
        action === 'ship'
          ? await unwrap(api.POST('/api/v1/inventory/transfer-orders/{order_id}/ship', path))
          : await unwrap(api.POST('/api/v1/inventory/transfer-orders/{order_id}/cancel', path));
      message.success(t(action === 'ship' ? 'to.shippedOk' : 'to.cancelledOk', { ref: out.ref }));
      changed(out);
    } catch (e) {
      modal.error({ title: order.ref, content: <span data-testid="to-action-error">{errorText(e)}</span> });
    } finally {
      setBusy(false);
    }
  };

  const print = async () => {
    if (!order) return;
    try {
      await openPdf(
        () =>
          unwrap(
            api.GET('/api/v1/inventory/transfer-orders/{order_id}/pdf', { params: { path: { order_id: order.id } }, parseAs: 'blob' }),
          ) as Promise<Blob>,
        `${order.ref}.pdf`,
      );
    } catch (e) {
      message.error(errorText(e));
    }
  };

  const actions = order && (
    <Space wrap>
      {order.status === 'draft' && can('inventory.transfer.create') && (
        <Button size="small" onClick={() => onEdit(order)} data-testid="to-edit">
          {t('common.edit')}
        </Button>
      )}
      {order.status === 'draft' && can('inventory.transfer.ship') && order.line_items.some(isSerial) && (
        <Button size="small" type="primary" onClick={() => setShipping(true)} data-testid="to-ship">
          {t('to.ship')}
        </Button>
      )}
      {order.status === 'draft' && can('inventory.transfer.ship') && !order.line_items.some(isSerial) && (
        <Popconfirm title={t('to.shipConfirm', { from: order.from_warehouse, n: order.lines })} onConfirm={() => void act('ship')} okButtonProps={{ 'data-testid': 'to-ship-confirm' } as never}>
          <Button size="small" type="primary" loading={busy} data-testid="to-ship">
            {t('to.ship')}
          </Button>
        </Popconfirm>
      )}
      {order.status === 'shipped' && can('inventory.transfer.receive') && (
        <Button size="small" type="primary" onClick={() => setReceiving(true)} data-testid="to-receive">
          {t('to.receive')}
        </Button>
      )}
      {order.status === 'draft' && can('inventory.transfer.create') && (
        <Popconfirm title={t('to.cancelConfirm')} onConfirm={() => void act('cancel')}>
          <Button size="small" danger loading={busy} data-testid="to-cancel">
            {t('to.cancel')}
          </Button>
        </Popconfirm>
      )}
      <Button size="small" icon={<PrinterOutlined />} onClick={() => void print()} data-testid="to-print">
        {t('to.print')}
      </Button>
    </Space>
  );

  return (
    <Drawer open={orderId !== null} onClose={onClose} width={940} title={order ? `${t('to.detail')} · ${order.ref}` : t('to.detail')} extra={actions} data-testid="to-drawer">
      {loading && <Spin style={{ display: 'block', margin: '24px auto' }} />}
      {error && <Alert type="error" showIcon message={error} />}
      {order && (
        <div data-testid="to-detail">
          <Descriptions size="small" bordered column={3} style={{ marginBottom: 16 }}>
            <Descriptions.Item label={t('to.ref')}>
              <Typography.Text strong data-testid="to-detail-ref">
                {order.ref}
              </Typography.Text>
            </Descriptions.Item>
            <Descriptions.Item label={t('to.status')}>
              <TransferStatusTag status={order.status} />
            </Descriptions.Item>
            <Descriptions.Item label={t('to.route')}>{`${order.from_warehouse} → ${order.to_warehouse}`}</Descriptions.Item>
            <Descriptions.Item label={t('to.createdAt')}>{`${formatTime(order.created_at)} ${order.created_by}`}</Descriptions.Item>
            <Descriptions.Item label={t('to.shippedAt')}>{formatTime(order.shipped_at)}</Descriptions.Item>
            <Descriptions.Item label={t('to.receivedAt')}>{formatTime(order.received_at)}</Descriptions.Item>
            <Descriptions.Item label={t('to.inTransit')}>
              <span data-testid="to-detail-in-transit">{formatQty(order.in_transit)}</span>
            </Descriptions.Item>
            <Descriptions.Item label={t('to.lost')}>
              <span data-testid="to-detail-lost">{formatQty(order.lost)}</span>
            </Descriptions.Item>
            <Descriptions.Item label={t('to.lossValue')}>{formatCents(order.loss_value_cents)}</Descriptions.Item>
            <Descriptions.Item label={t('doc.note')} span={3}>
              {order.note || '-'}
            </Descriptions.Item>
          </Descriptions>
          <Typography.Title level={5}>{t('doc.lineItems')}</Typography.Title>
          <Table<TransferOrderLine>
            size="small"
            rowKey="line_no"
            pagination={false}
            dataSource={order.line_items}
            data-testid="to-lines"
            onRow={(l) => ({ 'data-testid': 'to-line', 'data-sku': l.sku }) as never}
            columns={[
              { title: t('doc.lineNo'), dataIndex: 'line_no', width: 56 },
              { title: t('doc.sku'), dataIndex: 'sku', width: 150 },
              { title: t('doc.skuName'), dataIndex: 'sku_name' },
              { title: t('to.qty'), dataIndex: 'qty', width: 70, align: 'right', render: formatQty },
              { title: t('to.shipped'), dataIndex: 'shipped', width: 70, align: 'right', render: (v: number) => <span data-testid="to-line-shipped">{formatQty(v)}</span> },
              { title: t('to.received'), dataIndex: 'received', width: 70, align: 'right', render: (v: number) => <span data-testid="to-line-received">{formatQty(v)}</span> },
              { title: t('to.lost'), dataIndex: 'lost', width: 60, align: 'right', render: (v: number) => <span data-testid="to-line-lost">{formatQty(v)}</span> },
              { title: t('to.inTransit'), dataIndex: 'in_transit', width: 70, align: 'right', render: (v: number) => <span data-testid="to-line-in-transit">{formatQty(v)}</span> },
              { title: t('to.lossValue'), dataIndex: 'loss_value_cents', width: 100, align: 'right', render: (v: number) => (v ? formatCents(v) : '-') },
            ]}
          />
          <Typography.Title level={5} style={{ marginTop: 16 }}>
            {t('doc.moves')}
          </Typography.Title>
          {order.moves.length === 0 ? (
            <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('doc.noMoves')} />
          ) : (
            <Table
              size="small"
              rowKey="id"
              pagination={false}
              dataSource={order.moves}
              data-testid="to-moves"
              columns={[
                { title: t('ledger.at'), dataIndex: 'at', width: 165, render: (v: string) => formatTime(v) },
                { title: t('doc.warehouse'), dataIndex: 'warehouse', width: 100, render: (v: string) => <WarehouseCode code={v} /> },
                { title: t('doc.sku'), dataIndex: 'sku', width: 140 },
                { title: t('ledger.kind'), dataIndex: 'kind', width: 150, render: (v: string) => <Tag>{kindLabel(t, v)}</Tag> },
                { title: t('ledger.qty'), dataIndex: 'qty', align: 'right', width: 80, render: (v: number) => <QtyCell qty={v} /> },
                { title: t('ledger.value'), dataIndex: 'value_cents', align: 'right', render: (v: number) => formatCents(v) },
              ]}
            />
          )}
        </div>
      )}
      {receiving && <ReceiveModal order={order} onClose={() => setReceiving(false)} onDone={changed} />}
      {shipping && order && <ShipModal order={order} onClose={() => setShipping(false)} onDone={changed} />}
    </Drawer>
  );
}
