import { useEffect, useRef, useState } from 'react';
import { Alert, Button, Card, Col, Descriptions, Input, InputNumber, Row, Space, Table, Tag, Typography } from 'antd';
import type { GetRef, InputRef } from 'antd';
import { PrinterOutlined, ScanOutlined } from '@ant-design/icons';
import { api, ApiError, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { useI18n } from '../../i18n';
import { formatCents } from '../../money';
import { beep, buzz, openPdf, SlotStatus } from './fulfillmentCommon';

type Station = components['schemas']['StationOut'];

/** The pack station (验货打包), driven by a keyboard-wedge scanner: every code ends with Enter.
 * Scan the order (or its wave slot), then each item — a wrong item or one too many is refused
 * with a red banner and a buzz —, serial numbers right after their item, weigh, pack, then scan
 * or assign the tracking number and ship. */
export default function PackStationPage() {
  const { t } = useI18n();
  const scanRef = useRef<InputRef>(null);
  const weightRef = useRef<GetRef<typeof InputNumber>>(null);
  const [code, setCode] = useState('');
  const [order, setOrder] = useState<Station | null>(null);
  const [scanned, setScanned] = useState<Record<string, number>>({});
  const [serials, setSerials] = useState<Record<string, string[]>>({});
  const [serialFor, setSerialFor] = useState<string | null>(null);
  const [weight, setWeight] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const stage: 'order' | 'items' | 'ship' | 'done' = !order
    ? 'order'
    : order.tracking_no
      ? 'done'
      : order.status === 'packed'
        ? 'ship'
        : 'items';
  const complete = !!order && order.lines.every((l) => (scanned[l.sku] ?? 0) >= l.qty) && !serialFor;

  useEffect(() => {
    if (stage === 'items' && complete) weightRef.current?.focus();
    else scanRef.current?.focus();
  }, [stage, complete, order]);

  const fail = (msg: string) => {
    setError(msg);
    setNotice(null);
    buzz();
  };

  const reset = () => {
    setOrder(null);
    setScanned({});
    setSerials({});
    setSerialFor(null);
    setWeight(null);
    setError(null);
    setNotice(null);
  };

  const loadOrder = async (value: string) => {
    const o = await unwrap(api.GET('/api/v1/fulfillment/pack/{code}', { params: { path: { code: value } } }));
    setScanned(o.status === 'packed' || o.status === 'shipped' ? Object.fromEntries(o.lines.map((l) => [l.sku, l.qty])) : {});
    setSerials({});
    setSerialFor(null);
    setOrder(o);
    setWeight(o.weight_g ?? null);
  };

  const onScan = async () => {
    const value = code.trim();
    setCode('');
    if (!value || busy) return;
    setBusy(true);
    try {
      if (stage === 'order' || stage === 'done') {
        reset();
        await loadOrder(value);
        beep();
      } else if (stage === 'items' && order) {
        if (serialFor) {
          const have = serials[serialFor] ?? [];
          if (have.includes(value)) {
            fail(t('ful.wrongScan') + ': ' + value);
            return;
          }
          setSerials({ ...serials, [serialFor]: [...have, value] });
          setSerialFor(null);
          setError(null);
          beep();
          return;
        }
        const got = await unwrap(
          api.POST('/api/v1/fulfillment/pack/{ref}/scan', { params: { path: { ref: order.order } }, body: { code: value, scanned } }),
        );
        setScanned({ ...scanned, [got.sku]: (scanned[got.sku] ?? 0) + 1 });
        if (got.tracking === 'serial') setSerialFor(got.sku);
        setError(null);
        beep();
      } else if (stage === 'ship' && order) {
        await ship(value);
      }
    } catch (e) {
      fail((e as ApiError).message);
    } finally {
      setBusy(false);
      scanRef.current?.focus();
    }
  };

  const pack = async () => {
    if (!order || !weight) return;
    setBusy(true);
    try {
      const items = order.lines.map((l) => ({ sku: l.sku, qty: scanned[l.sku] ?? 0, serials: serials[l.sku] ?? [] }));
      const done = await unwrap(api.POST('/api/v1/fulfillment/pack/{ref}', { params: { path: { ref: order.order } }, body: { items, weight_g: weight } }));
      setError(null);
      setNotice(t('ful.packed', { account: done.account, fee: formatCents(done.fee_cents) }));
      setOrder({ ...order, status: 'packed', weight_g: weight });
      beep();
    } catch (e) {
      fail((e as ApiError).message);
    } finally {
      setBusy(false);
    }
  };

  const ship = async (tracking: string | null) => {
    if (!order) return;
    setBusy(true);
    try {
      const done = await unwrap(
        api.POST('/api/v1/fulfillment/shipments/{ref}/ship', { params: { path: { ref: order.order } }, body: tracking ? { tracking_no: tracking } : {} }),
      );
      setError(null);
      setNotice(t('ful.shippedMsg', { order: done.order, no: done.tracking_no }));
      setOrder({ ...order, status: 'shipped', tracking_no: done.tracking_no });
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
          onPressEnter={() => void onScan()}
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
    </Space>
  );
}
