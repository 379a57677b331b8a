import { useEffect, useReducer, useRef, useState } from 'react';
import { Alert, Button, Card, Col, Descriptions, Input, InputNumber, Row, Space, Table, Tag, Typography } from 'antd';
import type { GetRef, InputRef } from 'antd';
import { PrinterOutlined, ScanOutlined } from '@ant-design/icons';
import { useSearchParams } from 'react-router-dom';
import { api, ApiError, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { useI18n } from '../../i18n';
import { formatCents } from '../../money';
import { beep, buzz, openPdf, SlotStatus } from './fulfillmentCommon';

type Station = components['schemas']['StationOut'];
type PickList = components['schemas']['PickListOut'];
interface Parcel {
  order: Station | null;
  scanned: Record<string, number>;
  serials: Record<string, string[]>;
  serialFor: string | null;
}
const EMPTY: Parcel = { order: null, scanned: {}, serials: {}, serialFor: null };

/** What the next scan means: an order, an item (or its serial), or a tracking number. */
function stageOf(p: Parcel): 'order' | 'items' | 'ship' | 'done' {
  if (!p.order) return 'order';
  if (p.order.tracking_no) return 'done';
  return p.order.status === 'packed' ? 'ship' : 'items';
}

/** The pack station (验货打包), driven by a keyboard-wedge scanner: every code ends with Enter.
 * Scan the order (or its wave slot), then each item — a wrong item or one too many is refused
 * with a red banner and a buzz —, serial numbers right after their item, weigh, pack, then scan
 * or assign the tracking number and ship. */
export default function PackStationPage() {
  const { t } = useI18n();
  const scanRef = useRef<InputRef>(null);
  const weightRef = useRef<GetRef<typeof InputNumber>>(null);
  const [code, setCode] = useState('');
  // The parcel being packed lives in a ref: a scanner types faster than requests answer, so scans
  // are processed one after another (a queue), each seeing what the previous one did.
  const parcel = useRef<Parcel>(EMPTY);
  const queue = useRef<Promise<void>>(Promise.resolve());
  const [, render] = useReducer((n: number) => n + 1, 0);
  const [weight, setWeight] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [params] = useSearchParams();
  const waveRef = params.get('wave');
  const [wave, setWave] = useState<PickList | null>(null);

  const { order, scanned, serials, serialFor } = parcel.current;
  const set = (change: Partial<Parcel>) => {
    parcel.current = { ...parcel.current, ...change };
    render();
  };

  const stage = stageOf(parcel.current);
  const complete = !!order && order.lines.every((l) => (scanned[l.sku] ?? 0) >= l.qty) && !serialFor;

  useEffect(() => {
    if (stage === 'items' && complete) weightRef.current?.focus();
    else scanRef.current?.focus();
  }, [stage, complete, order]);

  useEffect(() => {
    if (!waveRef) return;
    unwrap(api.GET('/api/v1/fulfillment/waves/{ref}', { params: { path: { ref: waveRef } } }))
      .then(setWave)
      .catch(() => setWave(null));
  }, [waveRef, order?.status]);

  const fail = (msg: string) => {
    setError(msg);
    setNotice(null);
    buzz();
  };

  const reset = () => {
    set(EMPTY);
    setWeight(null);
    setError(null);
    setNotice(null);
  };

  const loadOrder = async (value: string) => {
    const o = await unwrap(api.GET('/api/v1/fulfillment/pack/{code}', { params: { path: { code: value } } }));
    const done = o.status === 'packed' || o.status === 'shipped';
    set({ order: o, scanned: done ? Object.fromEntries(o.lines.map((l) => [l.sku, l.qty])) : {}, serials: {}, serialFor: null });
    setWeight(o.weight_g ?? null);
  };

  const handle = async (value: string) => {
    const p = parcel.current;
    const current = stageOf(p);
    try {
      if (current === 'order' || current === 'done') {
        reset();
        await loadOrder(value);
        beep();
      } else if (current === 'items' && p.order) {
        if (p.serialFor) {
          const have = p.serials[p.serialFor] ?? [];
          if (have.includes(value)) {
            fail(`${t('ful.wrongScan')}: ${value}`);
            return;
          }
          set({ serials: { ...p.serials, [p.serialFor]: [...have, value] }, serialFor: null });
          setError(null);
          beep();
          return;
        }
        const got = await unwrap(
          api.POST('/api/v1/fulfillment/pack/{ref}/scan', { params: { path: { ref: p.order.order } }, body: { code: value, scanned: p.scanned } }),
        );
        set({ scanned: { ...p.scanned, [got.sku]: (p.scanned[got.sku] ?? 0) + 1 }, serialFor: got.tracking === 'serial' ? got.sku : null });
        setError(null);
        beep();
      } else if (current === 'ship') {
        await ship(value);
      }
    } catch (e) {
      fail((e as ApiError).message);
    }
  };

  const onScan = () => {
    const value = code.trim();
    setCode('');
    if (!value) return;
    queue.current = queue.current.then(() => handle(value));
  };

  const pack = async () => {
    if (!order || !weight) return;
    setBusy(true);
    try {
      const items = order.lines.map((l) => ({ sku: l.sku, qty: scanned[l.sku] ?? 0, serials: serials[l.sku] ?? [] }));
      const done = await unwrap(api.POST('/api/v1/fulfillment/pack/{ref}', { params: { path: { ref: order.order } }, body: { items, weight_g: weight } }));
      setError(null);
      setNotice(t('ful.packed', { account: done.account, fee: formatCents(done.fee_cents) }));
      set({ order: { ...order, status: 'packed', weight_g: weight } });
      beep();
    } catch (e) {
      fail((e as ApiError).message);
    } finally {
      setBusy(false);
    }
  };

  const ship = async (tracking: string | null) => {
    const o = parcel.current.order;
    if (!o) return;
    setBusy(true);
    try {
      const done = await unwrap(
        api.POST('/api/v1/fulfillment/shipments/{ref}/ship', { params: { path: { ref: o.order } }, body: tracking ? { tracking_no: tracking } : {} }),
      );
      setError(null);
      setNotice(t('ful.shippedMsg', { order: done.order, no: done.tracking_no }));
      set({ order: { ...o, status: 'shipped', tracking_no: done.tracking_no } });
      beep();
    } catch (e) {
      fail((e as ApiError).message);
    } finally {
      setBusy(false);
      scanRef.current?.focus();
    }
  };

  const placeholder =
    stage === 'order' || stage === 'done'
      ? t('ful.scanOrder')
      : stage === 'ship'
        ? t('ful.scanTracking')
        : serialFor
          ? t('ful.scanSerial', { sku: serialFor })
          : t('ful.scanItem');

  const pdf = (kind: 'label' | 'a4' | 'slip') => {
    if (!order) return;
    const path = { ref: order.order };
    void openPdf(
      kind === 'slip'
        ? api.GET('/api/v1/fulfillment/shipments/{ref}/packing-slip.pdf', { params: { path }, parseAs: 'blob' })
        : api.GET('/api/v1/fulfillment/shipments/{ref}/label.pdf', { params: { path, query: { size: kind === 'a4' ? 'a4' : '100x150' } }, parseAs: 'blob' }),
    );
  };

  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {error && (
        <Alert
          type="error"
          showIcon
          banner
          data-testid="pack-error"
          message={<span style={{ fontSize: 22, fontWeight: 700 }}>{error}</span>}
          style={{ width: '100%', padding: '18px 24px', background: '#ff4d4f', color: '#fff' }}
        />
      )}
      {notice && !error && <Alert type="success" showIcon data-testid="pack-notice" message={<span style={{ fontSize: 16 }}>{notice}</span>} />}
      <Card size="small" title={t('menu.pack')}>
        <Input
          ref={scanRef}
          size="large"
          autoFocus
          prefix={<ScanOutlined />}
          value={code}
          placeholder={placeholder}
          onChange={(e) => setCode(e.target.value)}
          onPressEnter={onScan}
          data-testid="pack-scan"
          style={{ fontSize: 20 }}
        />
        <Typography.Text type="secondary">{t('ful.scanHint')}</Typography.Text>
      </Card>
      {order && (
        <Card
          size="small"
          title={`${t('ful.order')} ${order.order}`}
          extra={
            <Space>
              <SlotStatus t={t} status={order.status} />
              <Button onClick={reset} data-testid="pack-next">
                {t('ful.nextOrder')}
              </Button>
            </Space>
          }
        >
          <Descriptions size="small" column={{ xs: 1, md: 3 }}>
            <Descriptions.Item label={t('ful.wave')}>{order.wave ? `${order.wave} · ${t('ful.slot')} ${order.slot}` : '-'}</Descriptions.Item>
            <Descriptions.Item label={t('ful.receiver')}>{order.receiver}</Descriptions.Item>
            <Descriptions.Item label={t('ful.courier')}>{order.account ?? '-'}</Descriptions.Item>
            <Descriptions.Item label={t('ful.address')} span={3}>
              {order.address}
            </Descriptions.Item>
          </Descriptions>
          <Table
            size="small"
            rowKey="sku"
            pagination={false}
            dataSource={order.lines}
            data-testid="pack-lines"
            rowClassName={(l) => ((scanned[l.sku] ?? 0) >= l.qty ? 'pack-line-done' : '')}
            columns={[
              { title: t('ful.sku'), dataIndex: 'sku' },
              { title: t('ful.name'), dataIndex: 'name' },
              { title: t('ful.needed'), dataIndex: 'qty', align: 'right' },
              {
                title: t('ful.scanned'),
                align: 'right',
                render: (_: unknown, l: Station['lines'][number]) => {
                  const n = scanned[l.sku] ?? 0;
                  return (
                    <Tag color={n >= l.qty ? 'success' : n > 0 ? 'processing' : 'default'} data-testid={`scanned-${l.sku}`}>
                      {n} / {l.qty}
                    </Tag>
                  );
                },
              },
              { title: t('ful.serials'), render: (_: unknown, l: Station['lines'][number]) => (serials[l.sku] ?? []).join(', ') || '-' },
            ]}
          />
          {stage === 'items' && (
            <Row gutter={12} style={{ marginTop: 12 }} align="middle">
              <Col>
                <InputNumber
                  ref={weightRef}
                  min={1}
                  max={1000000}
                  precision={0}
                  value={weight}
                  onChange={setWeight}
                  addonBefore={t('ful.weight')}
                  disabled={!complete}
                  data-testid="pack-weight"
                  onPressEnter={() => void pack()}
                />
              </Col>
              <Col>
                <Button type="primary" size="large" disabled={!complete || !weight} loading={busy} onClick={() => void pack()} data-testid="pack-confirm">
                  {t('ful.pack')}
                </Button>
              </Col>
              {!complete && (
                <Col>
                  <Typography.Text type="warning">{t('ful.parcelIncomplete')}</Typography.Text>
                </Col>
              )}
            </Row>
          )}
          {stage === 'ship' && (
            <Space style={{ marginTop: 12 }}>
              <Button type="primary" onClick={() => void ship(null)} loading={busy} data-testid="ship-from-pool">
                {t('ful.shipFromPool')}
              </Button>
            </Space>
          )}
          {stage === 'done' && (
            <Space style={{ marginTop: 12 }} wrap>
              <Tag color="success" data-testid="pack-tracking" style={{ fontSize: 16, padding: '4px 8px' }}>
                {t('ful.trackingNo')}: {order.tracking_no}
              </Tag>
              <Button icon={<PrinterOutlined />} onClick={() => pdf('label')} data-testid="print-label">
                {t('ful.label')}
              </Button>
              <Button icon={<PrinterOutlined />} onClick={() => pdf('a4')}>
                {t('ful.labelA4')}
              </Button>
              <Button icon={<PrinterOutlined />} onClick={() => pdf('slip')}>
                {t('ful.packingSlip')}
              </Button>
            </Space>
          )}
        </Card>
      )}
      {wave && (
        <Card size="small" title={`${t('ful.wave')} ${wave.ref} · ${t('ful.slots')}`}>
          <Table
            size="small"
            rowKey="ref"
            pagination={false}
            dataSource={wave.orders_in_slots}
            data-testid="pack-wave-slots"
            onRow={(o) => ({
              onClick: () => {
                queue.current = queue.current.then(() => handle(`${wave.ref}-${o.slot}`));
              },
              style: { cursor: 'pointer' },
            })}
            columns={[
              { title: t('ful.slot'), dataIndex: 'slot', width: 70 },
              { title: t('ful.order'), dataIndex: 'ref' },
              { title: t('ful.receiver'), dataIndex: 'receiver' },
              { title: t('ful.items'), dataIndex: 'items', render: (items: PickList['orders_in_slots'][number]['items']) => items.map((i) => `${i.sku} × ${i.qty}`).join('，') },
              { title: t('common.status'), dataIndex: 'status', render: (v: string) => <SlotStatus t={t} status={v} /> },
            ]}
          />
        </Card>
      )}
    </Space>
  );
}
