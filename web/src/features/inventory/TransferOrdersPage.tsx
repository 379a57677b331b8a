// Transfer orders (调拨单): the list with filters, a form for drafts, and the detail drawer where
// an order is shipped, received (per-line quantities), cancelled or printed.
import { useEffect, useMemo, useState } from 'react';
import { Alert, App, Button, Card, Form, Input, InputNumber, Modal, Select, Space, Table, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { api, unwrap } from '../../api/client';
import type { TransferOrder, TransferOrderRow, Warehouse } from '../../api/types';
import { useAuth } from '../../auth';
import LoadMore from '../../components/LoadMore';
import { errorText, useCursorList } from '../../components/useCursorList';
import { formatTime } from '../../format';
import { useUrlFilters } from '../../components/useUrlFilters';
import { useWarehouses } from '../../components/useWarehouses';
import { useI18n } from '../../i18n';
import { formatQty } from '../../money';
import { SkuSelect } from './DocumentForm';
import TransferOrderDrawer from './TransferOrderDrawer';
import { TransferStatusTag } from './transitCommon';

const STATUSES = ['draft', 'shipped', 'done', 'cancelled'] as const;
type Status = (typeof STATUSES)[number];

interface Line {
  key: number;
  sku?: string;
  qty: number | null;
}

let seq = 0;
const newLine = (sku?: string, qty: number | null = null): Line => ({ key: ++seq, sku, qty });

/** The draft form: new order, or a draft's lines and note edited. */
export function TransferOrderForm({
  open,
  editing,
  warehouses,
  onClose,
  onSaved,
}: {
  open: boolean;
  editing: TransferOrder | null;
  warehouses: Warehouse[];
  onClose: () => void;
  onSaved: (order: TransferOrder) => void;
}) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [lines, setLines] = useState<Line[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    if (!open) return;
    form.resetFields();
    setError(null);
    if (editing) {
      form.setFieldsValue({ from_warehouse: editing.from_warehouse, to_warehouse: editing.to_warehouse, note: editing.note ?? '' });
      setLines(editing.line_items.map((l) => newLine(l.sku, l.qty)));
    } else {
      setLines([newLine()]);
    }
  }, [open, editing, form]);

  const whOptions = useMemo(
    () => warehouses.filter((w) => w.active !== false).map((w) => ({ value: w.code, label: `${w.code} ${w.name}` })),
    [warehouses],
  );
  const update = (key: number, patch: Partial<Line>) => setLines((prev) => prev.map((l) => (l.key === key ? { ...l, ...patch } : l)));

  const submit = async () => {
    setError(null);
    let head: Record<string, string | undefined>;
    try {
      head = await form.validateFields();
    } catch {
      return;
    }
    if (head.from_warehouse === head.to_warehouse) {
      setError(t('doc.sameWarehouse'));
      return;
    }
    const filled = lines.filter((l) => l.sku || l.qty !== null);
    if (filled.length === 0) {
      setError(t('doc.needLines'));
      return;
    }
    const seen = new Set<string>();
    for (const [i, l] of filled.entries()) {
      if (!l.sku) return setError(t('doc.lineInvalid', { n: i + 1, msg: t('doc.needSku') }));
      if (l.qty === null || !Number.isSafeInteger(l.qty) || l.qty <= 0) return setError(t('doc.lineInvalid', { n: i + 1, msg: t('doc.needPositiveQty') }));
      if (seen.has(l.sku.toLowerCase())) return setError(t('doc.duplicateSku', { sku: l.sku }));
      seen.add(l.sku.toLowerCase());
    }
    const body = filled.map((l) => ({ sku: l.sku!, qty: l.qty! }));
    const note = head.note?.trim() || null;
    setSaving(true);
    try {
      const saved = editing
        ? await unwrap(api.PUT('/api/v1/inventory/transfer-orders/{order_id}', { params: { path: { order_id: editing.id } }, body: { lines: body, note } }))
        : await unwrap(
            api.POST('/api/v1/inventory/transfer-orders', {
              body: { from_warehouse: head.from_warehouse!, to_warehouse: head.to_warehouse!, lines: body, note },
            }),
          );
      message.success(t(editing ? 'to.saved' : 'to.created', { ref: saved.ref }));
      onSaved(saved);
      onClose();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      open={open}
      title={editing ? `${t('to.edit')} · ${editing.ref}` : t('to.new')}
      width={820}
      onCancel={onClose}
      maskClosable={false}
      destroyOnHidden
      footer={
        <Space>
          <Button onClick={onClose}>{t('common.cancel')}</Button>
          <Button type="primary" loading={saving} onClick={() => void submit()} data-testid="to-form-submit">
            {t('common.save')}
          </Button>
        </Space>
      }
    >
      <div data-testid="to-form">
        <Typography.Paragraph type="secondary">{t('to.flowHint')}</Typography.Paragraph>
        <Form form={form} layout="inline" size="small" style={{ rowGap: 8, marginBottom: 12 }}>
          <Form.Item name="from_warehouse" label={t('doc.fromWarehouse')} rules={[{ required: true, message: t('doc.required', { field: t('doc.fromWarehouse') }) }]}>
            <Select showSearch optionFilterProp="label" style={{ width: 180 }} options={whOptions} disabled={Boolean(editing)} data-testid="to-form-from" />
          </Form.Item>
          <Form.Item name="to_warehouse" label={t('doc.toWarehouse')} rules={[{ required: true, message: t('doc.required', { field: t('doc.toWarehouse') }) }]}>
            <Select showSearch optionFilterProp="label" style={{ width: 180 }} options={whOptions} disabled={Boolean(editing)} data-testid="to-form-to" />
          </Form.Item>
          <Form.Item name="note" label={t('doc.note')}>
            <Input maxLength={500} style={{ width: 200 }} data-testid="to-form-note" />
          </Form.Item>
        </Form>
        {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 8 }} data-testid="to-form-error" />}
        <Table<Line>
          size="small"
          rowKey="key"
          pagination={false}
          dataSource={lines}
          onRow={() => ({ 'data-testid': 'to-form-line' }) as never}
          columns={[
            { title: '#', key: 'n', width: 40, render: (_, __, i) => i + 1 },
            { title: t('doc.sku'), key: 'sku', render: (_, l) => <SkuSelect value={l.sku} onChange={(v) => update(l.key, { sku: v })} testId="line-sku" /> },
            {
              title: t('doc.qty'),
              key: 'qty',
              width: 150,
              render: (_, l) => (
                <InputNumber
                  value={l.qty}
                  precision={0}
                  min={1}
                  max={1_000_000_000}
                  style={{ width: '100%' }}
                  onChange={(v) => update(l.key, { qty: typeof v === 'number' ? v : null })}
                  data-testid="line-qty"
                />
              ),
            },
            {
              title: '',
              key: 'remove',
              width: 48,
              render: (_, l) => (
                <Button size="small" type="text" danger icon={<DeleteOutlined />} title={t('doc.removeLine')} onClick={() => setLines((prev) => prev.filter((x) => x.key !== l.key))} />
              ),
            },
          ]}
        />
        <Button size="small" icon={<PlusOutlined />} style={{ marginTop: 8 }} onClick={() => setLines((prev) => [...prev, newLine()])} data-testid="to-form-add-line">
          {t('doc.addLine')}
        </Button>
      </div>
    </Modal>
  );
}

export default function TransferOrdersPage() {
  const { t } = useI18n();
  const { can } = useAuth();
  const { params, setFilter } = useUrlFilters();
  const statusParam = params.get('status') ?? '';
  const status = (STATUSES as readonly string[]).includes(statusParam) ? (statusParam as Status) : '';
  const warehouse = params.get('warehouse') ?? '';
  const q = params.get('q') ?? '';
  const orderParam = Number(params.get('order'));
  const openId = Number.isSafeInteger(orderParam) && orderParam > 0 ? orderParam : null;
  const warehouses = useWarehouses();
  const [formOpen, setFormOpen] = useState(false);
  const [editing, setEditing] = useState<TransferOrder | null>(null);
  const [version, setVersion] = useState(0);

  const list = useCursorList<TransferOrderRow>(
    (cursor) =>
      unwrap(
        api.GET('/api/v1/inventory/transfer-orders', {
          params: {
            query: {
              ...(status ? { status } : {}),
              ...(warehouse ? { warehouse } : {}),
              ...(q ? { q } : {}),
              ...(cursor ? { cursor } : {}),
            },
          },
        }),
      ),
    [status, warehouse, q],
  );

  return (
    <Card
      size="small"
      title={t('to.title')}
      extra={
        can('inventory.transfer.create') && (
          <Button
            size="small"
            type="primary"
            icon={<PlusOutlined />}
            onClick={() => {
              setEditing(null);
              setFormOpen(true);
            }}
            data-testid="to-new"
          >
            {t('to.new')}
          </Button>
        )
      }
    >
      <Space wrap style={{ marginBottom: 8 }}>
        <Select
          size="small"
          style={{ width: 130 }}
          value={status}
          onChange={(v) => setFilter('status', v)}
          data-testid="to-filter-status"
          options={[{ value: '', label: t('to.allStatus') }, ...STATUSES.map((s) => ({ value: s, label: t(`to.status.${s}`) }))]}
        />
        <Select
          size="small"
          style={{ width: 180 }}
          value={warehouse}
          onChange={(v) => setFilter('warehouse', v)}
          data-testid="to-filter-warehouse"
          options={[{ value: '', label: t('stock.allWarehouses') }, ...warehouses.map((w) => ({ value: w.code, label: `${w.code} ${w.name}` }))]}
        />
        <Input.Search
          size="small"
          key={q}
          allowClear
          defaultValue={q}
          placeholder={t('to.searchRef')}
          style={{ width: 220 }}
          onSearch={(v) => setFilter('q', v.trim())}
          data-testid="to-search"
        />
        <Button size="small" icon={<ReloadOutlined />} onClick={() => void list.reload()}>
          {t('common.refresh')}
        </Button>
      </Space>
      <Table<TransferOrderRow>
        size="small"
        rowKey="id"
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        scroll={{ x: 1200 }}
        data-testid="to-table"
        onRow={(r) => ({ onClick: () => setFilter('order', String(r.id)), style: { cursor: 'pointer' } })}
        columns={[
          { title: t('to.ref'), dataIndex: 'ref', width: 200, render: (v: string) => <Typography.Link data-testid="to-ref">{v}</Typography.Link> },
          { title: t('to.status'), dataIndex: 'status', width: 90, render: (v: string) => <TransferStatusTag status={v} /> },
          { title: t('to.route'), key: 'route', width: 190, render: (_, r) => `${r.from_warehouse} → ${r.to_warehouse}` },
          { title: t('doc.lines'), dataIndex: 'lines', width: 60, align: 'right' },
          { title: t('to.qty'), dataIndex: 'qty', width: 80, align: 'right', render: formatQty },
          { title: t('to.shipped'), dataIndex: 'shipped', width: 80, align: 'right', render: formatQty },
          { title: t('to.received'), dataIndex: 'received', width: 80, align: 'right', render: formatQty },
          { title: t('to.lost'), dataIndex: 'lost', width: 70, align: 'right', render: (v: number) => (v ? <Typography.Text type="danger">{formatQty(v)}</Typography.Text> : formatQty(v)) },
          {
            title: t('to.inTransit'),
            dataIndex: 'in_transit',
            width: 80,
            align: 'right',
            render: (v: number) => (v ? <Typography.Text strong data-testid="to-in-transit">{formatQty(v)}</Typography.Text> : formatQty(v)),
          },
          { title: t('to.createdAt'), dataIndex: 'created_at', width: 160, render: (v: string) => formatTime(v) },
          { title: t('to.createdBy'), dataIndex: 'created_by', width: 100 },
          { title: t('doc.note'), dataIndex: 'note', ellipsis: true, render: (v: string | null) => v || '-' },
        ]}
      />
      <LoadMore count={list.items.length} hasMore={Boolean(list.next)} loading={list.loading} onLoadMore={list.loadMore} />
      <TransferOrderForm
        open={formOpen}
        editing={editing}
        warehouses={warehouses}
        onClose={() => setFormOpen(false)}
        onSaved={(o) => {
          void list.reload();
          setVersion((v) => v + 1);
          setFilter('order', String(o.id));
        }}
      />
      <TransferOrderDrawer
        orderId={openId}
        version={version}
        onClose={() => setFilter('order', '')}
        onChanged={() => void list.reload()}
        onEdit={(o) => {
          setEditing(o);
          setFormOpen(true);
        }}
      />
    </Card>
  );
}
