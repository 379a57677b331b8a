// The order pool (订单池): status tabs with counts, URL-synced filters, a dense table with row
// selection and bulk actions, Excel export, and the detail drawer (?order=REF). The exception queue
// (异常订单) is the same page fixed on the on_hold tab, with the hold reasons up front.
import { useEffect, useMemo, useState } from 'react';
import { Alert, App, Badge, Button, Card, DatePicker, Input, Modal, Select, Space, Switch, Table, Tabs, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { DownloadOutlined, PlusOutlined, ReloadOutlined, ThunderboltOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { api, unwrap } from '../../api/client';
import { saveDownload } from '../../api/download';
import type { OrderBulkResult, OrderRow } from '../../api/types';
import { useAuth } from '../../auth';
import LoadMore from '../../components/LoadMore';
import { errorText, useCursorList } from '../../components/useCursorList';
import { useUrlFilters } from '../../components/useUrlFilters';
import { useWarehouses } from '../../components/useWarehouses';
import { formatTime, toApiTime } from '../../format';
import { useI18n, type MsgKey } from '../../i18n';
import { formatCents, formatQty } from '../../money';
import OrderDrawer from './OrderDrawer';
import OrderForm from './OrderForm';
import { HoldReasons, ORDER_TABS, OrderStatusTag, useChannels, type OrderTab } from './orderCommon';

type BulkAction = 'release' | 'route' | 'hold' | 'cancel';

/** The channels (listed, plus any seen in the rows): code → name. */
function useSeenChannels(rows: OrderRow[], current: string) {
  const [seen, setSeen] = useState<Record<string, string>>({});
  const known = useChannels();
  useEffect(() => {
    if (known.length) setSeen((prev) => ({ ...Object.fromEntries(known.map((c) => [c.code, c.name])), ...prev }));
  }, [known]);
  useEffect(() => {
    setSeen((prev) => {
      let changed = false;
      const next = { ...prev };
      for (const r of rows) {
        if (next[r.channel] !== r.channel_name) {
          next[r.channel] = r.channel_name;
          changed = true;
        }
      }
      return changed ? next : prev;
    });
  }, [rows]);
  return useMemo(() => {
    const all = { ...seen };
    if (current && !(current in all)) all[current] = current;
    return Object.entries(all)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([code, name]) => ({ value: code, label: name && name !== code ? `${code} ${name}` : code }));
  }, [seen, current]);
}

function BulkModal({
  action,
  refs,
  warehouses,
  onClose,
  onDone,
}: {
  action: BulkAction | null;
  refs: string[];
  warehouses: { value: string; label: string }[];
  onClose: () => void;
  onDone: (results: OrderBulkResult[]) => void;
}) {
  const { t } = useI18n();
  const [warehouse, setWarehouse] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    setWarehouse('');
    setReason('');
    setError(null);
  }, [action]);
  if (!action) return null;
  const label = t(`order.bulk.${action}` as MsgKey);
  const submit = async () => {
    setError(null);
    if (action === 'hold' && !reason.trim()) return setError(t('order.reasonRequired'));
    setSaving(true);
    try {
      const out = await unwrap(
        api.POST('/api/v1/orders/bulk', {
          body: {
            action,
            refs,
            ...(warehouse && (action === 'release' || action === 'route') ? { warehouse } : {}),
            ...(reason.trim() && (action === 'hold' || action === 'cancel') ? { reason: reason.trim() } : {}),
          },
        }),
      );
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
      title={t('order.bulkTitle', { action: label, n: refs.length })}
      onCancel={onClose}
      onOk={() => void submit()}
      okText={label}
      okButtonProps={{ danger: action === 'cancel', 'data-testid': 'order-bulk-ok' } as never}
      confirmLoading={saving}
      destroyOnHidden
    >
      <div data-testid="order-bulk-form">
        <Typography.Paragraph type="secondary" ellipsis={{ rows: 2 }}>
          {refs.join(', ')}
        </Typography.Paragraph>
        {(action === 'release' || action === 'route') && (
          <Select
            style={{ width: '100%' }}
            value={warehouse}
            onChange={setWarehouse}
            options={[{ value: '', label: t('order.warehouseAuto') }, ...warehouses]}
            data-testid="order-bulk-warehouse"
          />
        )}
        {(action === 'hold' || action === 'cancel') && (
          <Input
            value={reason}
            maxLength={200}
            placeholder={t('order.reason')}
            onChange={(e) => setReason(e.target.value)}
            data-testid="order-bulk-reason"
          />
        )}
        {error && <Alert type="error" showIcon message={error} style={{ marginTop: 8 }} data-testid="order-bulk-error" />}
      </div>
    </Modal>
  );
}

export default function OrdersPage({ exceptions = false }: { exceptions?: boolean }) {
  const { t } = useI18n();
  const { can } = useAuth();
  const { message, modal } = App.useApp();
  const { params, setFilter, setParams } = useUrlFilters();
  const tabParam = params.get('tab') ?? 'all';
  const tab: OrderTab = exceptions ? 'on_hold' : tabParam in ORDER_TABS ? tabParam : 'all';
  const channel = params.get('channel') ?? '';
  const warehouse = params.get('warehouse') ?? '';
  const tag = params.get('tag') ?? '';
  const q = params.get('q') ?? '';
  const since = params.get('since') ?? '';
  const until = params.get('until') ?? '';
  const presale = params.get('presale') === '1';
  const openRef = params.get('order') || null;
  const warehouses = useWarehouses();
  const whOptions = useMemo(() => warehouses.map((w) => ({ value: w.code, label: `${w.code} ${w.name}` })), [warehouses]);
  const [selected, setSelected] = useState<string[]>([]);
  const [bulk, setBulk] = useState<BulkAction | null>(null);
  const [exporting, setExporting] = useState(false);
  const [formOpen, setFormOpen] = useState(false);
  const [counts, setCounts] = useState<Record<string, number>>({});
  const [version, setVersion] = useState(0);

  // The filters other than the state: shared by the list, the counts and the export.
  const base = useMemo(() => {
    const sinceDay = since ? dayjs(since) : null;
    const untilDay = until ? dayjs(until) : null;
    return {
      ...(channel ? { channel } : {}),
      ...(warehouse ? { warehouse } : {}),
      ...(tag ? { tag } : {}),
      ...(q ? { q } : {}),
      ...(sinceDay?.isValid() ? { since: toApiTime(sinceDay.startOf('day')) } : {}),
      ...(untilDay?.isValid() ? { until: toApiTime(untilDay.add(1, 'day').startOf('day')) } : {}),
      ...(presale ? { presale: true } : {}),
    };
  }, [channel, warehouse, tag, q, since, until, presale]);
  const statuses = ORDER_TABS[tab];
  const query = useMemo(() => ({ ...base, ...(statuses.length ? { status: [...statuses] } : {}) }), [base, statuses]);
  const key = JSON.stringify(query);

  const list = useCursorList<OrderRow>(
    (cursor) => unwrap(api.GET('/api/v1/orders', { params: { query: { ...query, ...(cursor ? { cursor } : {}) } } })),
    [key, version],
  );
  const channelOptions = useSeenChannels(list.items, channel);

  const baseKey = JSON.stringify(base);
  useEffect(() => {
    let live = true;
    unwrap(api.GET('/api/v1/orders/counts', { params: { query: base } }))
      .then((c) => live && setCounts(c))
      .catch(() => live && setCounts({}));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [baseKey, version]);
  useEffect(() => setSelected([]), [key]);

  const refresh = () => setVersion((v) => v + 1);
  const tabCount = (k: string) => {
    const states = ORDER_TABS[k];
    return states.length ? states.reduce((n, s) => n + (counts[s] ?? 0), 0) : Object.values(counts).reduce((n, c) => n + c, 0);
  };

  const exportExcel = async () => {
    setExporting(true);
    try {
      const name = await saveDownload(api.GET('/api/v1/orders/export', { params: { query }, parseAs: 'blob' }), 'orders.xlsx');
      message.success(t('order.exported', { name }));
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setExporting(false);
    }
  };

  const allocateDue = async () => {
    try {
      const out = await unwrap(api.POST('/api/v1/orders/allocate-due'));
      message.success(t('order.allocatedDue', { n: out.allocated ?? 0 }));
      refresh();
    } catch (e) {
      message.error(errorText(e));
    }
  };

  const merge = async () => {
    try {
      const out = await unwrap(api.POST('/api/v1/orders/merge', { body: { refs: selected } }));
      message.success(t('order.merged', { ref: out.ref }));
      refresh();
      setFilter('order', out.ref);
    } catch (e) {
      modal.error({ title: t('order.merge'), content: <span data-testid="order-merge-error">{errorText(e)}</span> });
    }
  };

  const bulkDone = (action: BulkAction, results: OrderBulkResult[]) => {
    const bad = results.filter((r) => !r.ok);
    const text = t('order.bulkDone', { action: t(`order.bulk.${action}` as MsgKey), ok: results.length - bad.length, bad: bad.length });
    if (bad.length) {
      modal.warning({
        title: text,
        width: 560,
        content: (
          <div data-testid="order-bulk-failures">
            <Typography.Text strong>{t('order.bulkFailures')}</Typography.Text>
            <ul style={{ paddingLeft: 18, margin: '4px 0 0' }}>
              {bad.map((r) => (
                <li key={r.ref}>
                  {r.ref}: {r.message || r.code}
                </li>
              ))}
            </ul>
          </div>
        ),
      });
    } else {
      message.success(<span data-testid="order-bulk-done">{text}</span>);
    }
    refresh();
  };

  const setRange = (range: [dayjs.Dayjs | null, dayjs.Dayjs | null] | null) => {
    const next = new URLSearchParams(params);
    const [a, b] = range ?? [null, null];
    if (a) next.set('since', a.format('YYYY-MM-DD'));
    else next.delete('since');
    if (b) next.set('until', b.format('YYYY-MM-DD'));
    else next.delete('until');
    setParams(next, { replace: true });
  };

  const columns: ColumnsType<OrderRow> = [
    {
      title: t('order.ref'),
      dataIndex: 'ref',
      width: 190,
      fixed: 'left',
      render: (v: string, r) => (
        <Space direction="vertical" size={0}>
          <Typography.Link data-testid="order-ref" onClick={() => setFilter('order', v)}>
            {v}
          </Typography.Link>
          {r.external_ref && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }} data-testid="order-external-ref">
              {r.external_ref}
            </Typography.Text>
          )}
        </Space>
      ),
    },
    ...(exceptions
      ? [
          {
            title: t('order.holdReasons'),
            dataIndex: 'hold_reasons',
            width: 260,
            render: (v: OrderRow['hold_reasons']) => <HoldReasons reasons={v} />,
          },
        ]
      : []),
    { title: t('order.status'), dataIndex: 'status', width: 90, render: (v: string) => <OrderStatusTag status={v} /> },
    { title: t('order.channel'), dataIndex: 'channel_name', width: 110, ellipsis: true, render: (v: string, r) => <span title={r.channel}>{v || r.channel}</span> },
    {
      title: t('order.buyer'),
      dataIndex: 'buyer',
      width: 120,
      render: (v: string, r) => (
        <Space direction="vertical" size={0}>
          <span>{v || '-'}</span>
          {r.buyer_phone && <Typography.Text type="secondary" style={{ fontSize: 12 }}>{r.buyer_phone}</Typography.Text>}
        </Space>
      ),
    },
    {
      title: t('order.receiver'),
      key: 'receiver',
      width: 150,
      render: (_, r) => (
        <Space direction="vertical" size={0}>
          <span>{[r.receiver_name, r.receiver_phone].filter(Boolean).join(' ') || '-'}</span>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {[r.province, r.city].filter(Boolean).join(' ')}
          </Typography.Text>
        </Space>
      ),
    },
    {
      title: t('order.items'),
      dataIndex: 'items',
      width: 200,
      ellipsis: true,
      render: (v: string, r) => (
        <span title={v}>
          {v} <Typography.Text type="secondary">({formatQty(r.qty)})</Typography.Text>
        </span>
      ),
    },
    {
      title: t('order.amount'),
      dataIndex: 'total_cents',
      width: 110,
      align: 'right',
      render: (v: number, r) => (
        <Space direction="vertical" size={0} style={{ alignItems: 'flex-end' }}>
          <span data-testid="order-total">{formatCents(v)}</span>
          {r.paid_cents < v && (
            <Typography.Text type="warning" style={{ fontSize: 12 }}>
              {t('order.unpaid', { amount: formatCents(v - r.paid_cents) })}
            </Typography.Text>
          )}
        </Space>
      ),
    },
    {
      title: t('order.warehouse'),
      dataIndex: 'warehouse',
      width: 140,
      render: (v: string | null, r) => (
        <Space direction="vertical" size={0}>
          <span data-testid="order-warehouse">{v || '-'}</span>
          {r.route_rule && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }} ellipsis title={r.route_rule}>
              {r.route_rule}
            </Typography.Text>
          )}
        </Space>
      ),
    },
    {
      title: t('order.orderedAt'),
      dataIndex: 'ordered_at',
      width: 150,
      render: (v: string, r) => (
        <Space direction="vertical" size={0}>
          <span>{formatTime(v)}</span>
          {r.ship_after && (
            <Tag color="orange" style={{ marginInlineEnd: 0 }}>
              {t('order.presale')} {r.ship_after}
            </Tag>
          )}
        </Space>
      ),
    },
    {
      title: t('order.tags'),
      dataIndex: 'tags',
      width: 140,
      render: (tags: string[], r) => (
        <Space size={[2, 2]} wrap>
          {tags.map((x) => (
            <Tag key={x} style={{ cursor: 'pointer' }} onClick={() => setFilter('tag', x)}>
              {x}
            </Tag>
          ))}
          {!exceptions && r.status === 'on_hold' && <HoldReasons reasons={r.hold_reasons} />}
        </Space>
      ),
    },
  ];

  const anySelected = selected.length > 0;
  const review = can('orders.order.review');

  return (
    <Card
      size="small"
      title={exceptions ? t('order.exceptions') : t('order.pool')}
      data-testid={exceptions ? 'order-exceptions' : 'order-pool'}
      extra={
        <Space wrap>
          {review && (
            <Button size="small" icon={<ThunderboltOutlined />} onClick={() => void allocateDue()} data-testid="order-allocate-due">
              {t('order.allocateDue')}
            </Button>
          )}
          <Button size="small" icon={<DownloadOutlined />} loading={exporting} onClick={() => void exportExcel()} data-testid="order-export">
            {t('order.export')}
          </Button>
          {can('orders.order.create') && (
            <Button size="small" type="primary" icon={<PlusOutlined />} onClick={() => setFormOpen(true)} data-testid="order-new">
              {t('order.new')}
            </Button>
          )}
        </Space>
      }
    >
      {exceptions ? (
        <Alert type="warning" showIcon message={t('order.exceptionsHint')} style={{ marginBottom: 8 }} />
      ) : (
        <Tabs
          size="small"
          activeKey={tab}
          onChange={(k) => setFilter('tab', k === 'all' ? '' : k)}
          data-testid="order-tabs"
          items={Object.keys(ORDER_TABS).map((k) => ({
            key: k,
            label: (
              <span data-testid={`order-tab-${k}`}>
                {t(`order.tab.${k}` as MsgKey)}{' '}
                <Badge
                  count={tabCount(k)}
                  showZero
                  overflowCount={99999}
                  color={k === 'on_hold' && tabCount(k) > 0 ? 'red' : '#bfbfbf'}
                  size="small"
                  data-testid={`order-tab-count-${k}`}
                />
              </span>
            ),
          }))}
        />
      )}
      <Space wrap style={{ marginBottom: 8 }}>
        <Select
          size="small"
          style={{ width: 170 }}
          value={channel}
          showSearch
          optionFilterProp="label"
          onChange={(v) => setFilter('channel', v)}
          options={[{ value: '', label: t('order.allChannels') }, ...channelOptions]}
          data-testid="order-filter-channel"
        />
        <Select
          size="small"
          style={{ width: 170 }}
          value={warehouse}
          onChange={(v) => setFilter('warehouse', v)}
          options={[{ value: '', label: t('stock.allWarehouses') }, ...whOptions]}
          data-testid="order-filter-warehouse"
        />
        <Input.Search
          size="small"
          key={`tag-${tag}`}
          allowClear
          defaultValue={tag}
          placeholder={t('order.tag')}
          style={{ width: 120 }}
          onSearch={(v) => setFilter('tag', v.trim())}
          data-testid="order-filter-tag"
        />
        <DatePicker.RangePicker
          size="small"
          value={[since ? dayjs(since) : null, until ? dayjs(until) : null]}
          onChange={(r) => setRange(r as [dayjs.Dayjs | null, dayjs.Dayjs | null] | null)}
          allowEmpty={[true, true]}
          data-testid="order-filter-dates"
        />
        <Space size={4}>
          <Switch size="small" checked={presale} onChange={(v) => setFilter('presale', v ? '1' : '')} data-testid="order-filter-presale" />
          <Typography.Text>{t('order.presaleOnly')}</Typography.Text>
        </Space>
        <Input.Search
          size="small"
          key={`q-${q}`}
          allowClear
          defaultValue={q}
          placeholder={t('order.search')}
          style={{ width: 260 }}
          onSearch={(v) => setFilter('q', v.trim())}
          data-testid="order-search"
        />
        <Button size="small" icon={<ReloadOutlined />} onClick={refresh} data-testid="order-refresh">
          {t('common.refresh')}
        </Button>
      </Space>
      {review && (
        <Space wrap style={{ marginBottom: 8 }} data-testid="order-bulk-bar">
          <Typography.Text type="secondary" data-testid="order-selected">
            {t('order.selected', { n: selected.length })}
          </Typography.Text>
          <Button size="small" disabled={!anySelected} onClick={() => setBulk('release')} data-testid="order-bulk-release">
            {t('order.bulk.release')}
          </Button>
          <Button size="small" disabled={!anySelected} onClick={() => setBulk('route')} data-testid="order-bulk-route">
            {t('order.bulk.route')}
          </Button>
          <Button size="small" disabled={!anySelected} onClick={() => setBulk('hold')} data-testid="order-bulk-hold">
            {t('order.bulk.hold')}
          </Button>
          <Button size="small" danger disabled={!anySelected || !can('orders.order.cancel')} onClick={() => setBulk('cancel')} data-testid="order-bulk-cancel">
            {t('order.bulk.cancel')}
          </Button>
          <Button size="small" disabled={selected.length < 2} onClick={() => void merge()} data-testid="order-merge">
            {t('order.merge')}
          </Button>
        </Space>
      )}
      <Table<OrderRow>
        size="small"
        rowKey="ref"
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        scroll={{ x: exceptions ? 1700 : 1440 }}
        data-testid="order-table"
        rowSelection={review ? { selectedRowKeys: selected, onChange: (keys) => setSelected(keys as string[]), columnWidth: 32 } : undefined}
        onRow={(r) => ({ 'data-testid': 'order-row', 'data-ref': r.ref, 'data-status': r.status }) as never}
        columns={columns}
      />
      <LoadMore count={list.items.length} hasMore={Boolean(list.next)} loading={list.loading} onLoadMore={list.loadMore} />
      <BulkModal
        action={bulk}
        refs={selected}
        warehouses={whOptions}
        onClose={() => setBulk(null)}
        onDone={(results) => bulk && bulkDone(bulk, results)}
      />
      <OrderForm
        open={formOpen}
        channels={channelOptions}
        warehouses={whOptions}
        onClose={() => setFormOpen(false)}
        onCreated={(ref) => {
          refresh();
          setFilter('order', ref);
        }}
      />
      <OrderDrawer orderRef={openRef} version={version} warehouses={whOptions} onClose={() => setFilter('order', '')} onOpen={(ref) => setFilter('order', ref)} onChanged={refresh} />
    </Card>
  );
}
