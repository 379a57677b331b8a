import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { Alert, App, Button, Card, Input, Select, Space, Table, Tag } from 'antd';
import type { InputRef } from 'antd';
import { DeleteOutlined, ScanOutlined } from '@ant-design/icons';
import { api, ApiError, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { formatTime } from '../../format';
import { optLabel, useI18n } from '../../i18n';
import { formatCents, parseYuanToCents } from '../../money';
import { buzz, beep } from './fulfillmentCommon';

type Station = components['schemas']['StationOut'];
type ReturnRow = components['schemas']['ReturnIntakeRowOut'];
interface Item {
  key: number;
  sku: string;
  disposition: 'restock' | 'defective';
  serial?: string;
}

/** Returns intake (退货入库): scan the order, then every unit that came back; each is restocked
 * or marked defective, and the refund is recorded. */
export default function ReturnsPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const scanRef = useRef<InputRef>(null);
  const [code, setCode] = useState('');
  // Scans are queued (a scanner types faster than the order loads); the intake lives in a ref so
  // each scan sees what the one before it did.
  const intake = useRef<{ order: Station | null; items: Item[] }>({ order: null, items: [] });
  const queue = useRef<Promise<void>>(Promise.resolve());
  const [, render] = useReducer((n: number) => n + 1, 0);
  const { order, items } = intake.current;
  const setOrder = (o: Station | null) => {
    intake.current = { ...intake.current, order: o };
    render();
  };
  const setItems = (list: Item[]) => {
    intake.current = { ...intake.current, items: list };
    render();
  };
  const [refund, setRefund] = useState('');
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [rows, setRows] = useState<ReturnRow[]>([]);
  const seq = useRef(0);

  const load = useCallback(() => {
    unwrap(api.GET('/api/v1/fulfillment/returns')).then(setRows).catch(() => setRows([]));
  }, []);
  useEffect(load, [load]);

  const fail = (msg: string) => {
    setError(msg);
    buzz();
  };

  const onScan = () => {
    const value = code.trim();
    setCode('');
    scanRef.current?.focus();
    if (value) queue.current = queue.current.then(() => handle(value));
  };

  const handle = async (value: string) => {
    const { order, items } = intake.current;
    try {
      if (!order) {
        setOrder(await unwrap(api.GET('/api/v1/fulfillment/pack/{code}', { params: { path: { code: value } } })));
        setItems([]);
        setError(null);
        beep();
        return;
      }
      const last = items[items.length - 1];
      const line = order.lines.find((l) => l.sku === last?.sku);
      if (last && line?.tracking === 'serial' && !last.serial) {
        setItems([...items.slice(0, -1), { ...last, serial: value }]);
        beep();
        return;
      }
      // A SKU code, or a barcode the catalog resolves to one of the order's SKUs.
      let hit = order.lines.find((l) => l.sku === value);
      if (!hit) {
        const found = await unwrap(api.GET('/api/v1/catalog/lookup', { params: { query: { code: value } } })).catch(() => null);
        hit = order.lines.find((l) => l.sku === found?.sku.code);
      }
      if (!hit) {
        fail(t('ful.notOnOrder', { code: value, order: order.order }));
        return;
      }
      seq.current += 1;
      setItems([...items, { key: seq.current, sku: hit.sku, disposition: 'restock' }]);
      setError(null);
      beep();
    } catch (e) {
      fail((e as ApiError).message);
    }
  };

  const submit = async () => {
    if (!order) return;
    const grouped = new Map<string, { sku: string; qty: number; disposition: Item['disposition']; serials: string[] }>();
    for (const it of items) {
      const k = `${it.sku}|${it.disposition}`;
      const g = grouped.get(k) ?? { sku: it.sku, qty: 0, disposition: it.disposition, serials: [] };
      g.qty += 1;
      if (it.serial) g.serials.push(it.serial);
      grouped.set(k, g);
    }
    const cents = refund.trim() ? parseYuanToCents(refund) : null;
    try {
      const done = await unwrap(
        api.POST('/api/v1/fulfillment/returns', {
          body: { order: order.order, items: [...grouped.values()], ...(cents !== null ? { refund_cents: cents } : {}), ...(note ? { note } : {}) },
        }),
      );
      message.success(t('ful.returnReceived', { ref: done.ref }));
      setOrder(null);
      setItems([]);
      setRefund('');
      setNote('');
      setError(null);
      load();
    } catch (e) {
      fail((e as ApiError).message);
    }
  };

  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {error && (
        <Alert
          type="error"
          banner
          data-testid="return-error"
          message={<span style={{ fontSize: 20, fontWeight: 700 }}>{error}</span>}
          style={{ padding: '14px 24px', background: '#ff4d4f', color: '#fff' }}
        />
      )}
      <Card size="small" title={t('menu.returnsIntake')}>
        <Input
          ref={scanRef}
          size="large"
          autoFocus
          prefix={<ScanOutlined />}
          value={code}
          placeholder={order ? t('ful.scanItem') : t('ful.scanOrder')}
          onChange={(e) => setCode(e.target.value)}
          onPressEnter={onScan}
          data-testid="return-scan"
        />
        {order && (
          <>
            <p style={{ marginTop: 8 }}>
              {t('ful.returnOrder')}: <b data-testid="return-order">{order.order}</b> · {order.receiver}
            </p>
            <Table
              size="small"
              rowKey="key"
              pagination={false}
              dataSource={items}
              data-testid="return-items"
              columns={[
                { title: t('ful.sku'), dataIndex: 'sku' },
                { title: t('ful.serials'), dataIndex: 'serial', render: (v?: string) => v ?? '-' },
                {
                  title: t('ful.disposition'),
                  render: (_: unknown, it: Item) => (
                    <Select
                      size="small"
                      value={it.disposition}
                      style={{ width: 110 }}
                      data-testid={`disposition-${it.key}`}
                      onChange={(v) => setItems(items.map((x) => (x.key === it.key ? { ...x, disposition: v } : x)))}
                      options={(['restock', 'defective'] as const).map((d) => ({ value: d, label: optLabel(t, 'ful.disposition', d) }))}
                    />
                  ),
                },
                {
                  title: '',
                  width: 40,
                  render: (_: unknown, it: Item) => <Button size="small" type="text" icon={<DeleteOutlined />} onClick={() => setItems(items.filter((x) => x.key !== it.key))} />,
                },
              ]}
            />
            <Space style={{ marginTop: 12 }} wrap>
              <Input addonBefore={t('ful.refund')} placeholder={t('ful.refundDefault')} value={refund} onChange={(e) => setRefund(e.target.value)} style={{ width: 300 }} data-testid="return-refund" />
              <Input addonBefore={t('ful.note')} value={note} maxLength={200} onChange={(e) => setNote(e.target.value)} style={{ width: 300 }} />
              <Button type="primary" disabled={!items.length} onClick={() => void submit()} data-testid="return-submit">
                {t('ful.receiveReturn')}
              </Button>
              <Button
                onClick={() => {
                  setOrder(null);
                  setItems([]);
                }}
              >
                {t('common.cancel')}
              </Button>
            </Space>
          </>
        )}
      </Card>
      <Card size="small" title={t('ful.returnRef')}>
        <Table
          size="small"
          rowKey="ref"
          dataSource={rows}
          pagination={{ pageSize: 20 }}
          data-testid="returns-table"
          columns={[
            { title: t('ful.returnRef'), dataIndex: 'ref' },
            { title: t('ful.order'), dataIndex: 'order' },
            {
              title: t('ful.items'),
              dataIndex: 'lines',
              render: (lines: ReturnRow['lines']) =>
                lines.map((l) => (
                  <Tag key={l.sku}>
                    {l.sku} {t('ful.restocked')} {l.restocked} / {t('ful.defective')} {l.defective}
                  </Tag>
                )),
            },
            { title: t('ful.refund'), dataIndex: 'refund_cents', align: 'right', render: formatCents },
            { title: t('ful.writeoff'), dataIndex: 'writeoff_ref', render: (v: string | null) => v ?? '-' },
            { title: t('ful.receivedAt'), dataIndex: 'at', render: formatTime },
          ]}
        />
      </Card>
    </Space>
  );
}
