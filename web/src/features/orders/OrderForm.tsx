// 新建订单: a manual order (phone / WeChat / offline): channel, buyer, address, lines (scan or
// search a SKU, its price filled in), discounts, shipping, payment (defaults to the payable), notes,
// tags and a presale day. On success the new order's drawer opens.
import { useEffect, useMemo, useRef, useState } from 'react';
import { Alert, App, AutoComplete, Button, Col, DatePicker, Divider, Form, Input, InputNumber, Modal, Row, Select, Space, Table, Typography } from 'antd';
import type { InputRef } from 'antd';
import { DeleteOutlined, PlusOutlined, ScanOutlined } from '@ant-design/icons';
import type dayjs from 'dayjs';
import { api, unwrap } from '../../api/client';
import { errorText } from '../../components/useCursorList';
import { useI18n } from '../../i18n';
import { centsToYuanInput, formatCents, parseYuanToCents } from '../../money';
import { SkuSelect } from '../inventory/DocumentForm';
import { payMethodOptions, provinceOptions, reasonText } from './orderCommon';

type Option = { value: string; label: string };

interface Line {
  key: number;
  sku?: string;
  qty: number | null;
  price: string;
  discount: string;
}

let seq = 0;
const newLine = (sku?: string, price = ''): Line => ({ key: ++seq, sku, qty: 1, price, discount: '' });

async function lookupPrice(code: string): Promise<{ code: string; price: string } | null> {
  try {
    const out = await unwrap(api.GET('/api/v1/catalog/lookup', { params: { query: { code } } }));
    return { code: out.sku.code, price: centsToYuanInput(out.sku.price_cents) };
  } catch {
    return null;
  }
}

export default function OrderForm({
  open,
  channels,
  warehouses,
  onClose,
  onCreated,
}: {
  open: boolean;
  channels: Option[];
  warehouses: Option[];
  onClose: () => void;
  onCreated: (ref: string) => void;
}) {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [lines, setLines] = useState<Line[]>([]);
  const [payEdited, setPayEdited] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [scan, setScan] = useState('');
  const scanRef = useRef<InputRef>(null);
  const orderDiscount = Form.useWatch('discount', form) as string | undefined;
  const shipping = Form.useWatch('shipping', form) as string | undefined;

  useEffect(() => {
    if (!open) return;
    form.resetFields();
    form.setFieldsValue({ pay_method: 'wechat_pay' });
    setLines([newLine()]);
    setPayEdited(false);
    setError(null);
    setScan('');
  }, [open, form]);

  const update = (key: number, patch: Partial<Line>) => setLines((prev) => prev.map((l) => (l.key === key ? { ...l, ...patch } : l)));
  const cents = (s: string | undefined) => (s && s.trim() ? parseYuanToCents(s) : 0);

  // What the buyer owes as typed so far (null while an amount is not valid).
  const payable = useMemo(() => {
    let total = 0;
    for (const l of lines) {
      if (!l.sku) continue;
      const p = cents(l.price);
      const d = cents(l.discount);
      if (p === null || d === null || !l.qty) return null;
      total += p * l.qty - d;
    }
    const od = cents(orderDiscount);
    const sf = cents(shipping);
    if (od === null || sf === null) return null;
    return total - od + sf;
  }, [lines, orderDiscount, shipping]);

  useEffect(() => {
    if (!payEdited && payable !== null) form.setFieldValue('pay_amount', centsToYuanInput(Math.max(0, payable)));
  }, [payable, payEdited, form]);

  const pickSku = async (key: number, code: string) => {
    update(key, { sku: code });
    const hit = await lookupPrice(code);
    if (hit) setLines((prev) => prev.map((l) => (l.key === key && !l.price ? { ...l, price: hit.price } : l)));
  };

  const onScan = async () => {
    const code = scan.trim();
    if (!code) return;
    const hit = await lookupPrice(code);
    if (!hit) {
      message.error(t('order.form.scanNotFound', { code }));
      return;
    }
    setLines((prev) => {
      const same = prev.find((l) => l.sku === hit.code);
      if (same) return prev.map((l) => (l === same ? { ...l, qty: (l.qty ?? 0) + 1 } : l));
      const blank = prev.find((l) => !l.sku);
      if (blank) return prev.map((l) => (l === blank ? { ...l, sku: hit.code, price: hit.price, qty: 1 } : l));
      return [...prev, newLine(hit.code, hit.price)];
    });
    setScan('');
    scanRef.current?.focus();
  };

  const submit = async () => {
    setError(null);
    let v: Record<string, unknown>;
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    const s = (k: string) => String(v[k] ?? '').trim();
    const filled = lines.filter((l) => l.sku);
    if (filled.length === 0) return setError(t('order.form.needLines'));
    const body_lines = [];
    for (const [i, l] of filled.entries()) {
      const price = cents(l.price);
      const discount = cents(l.discount);
      if (!l.qty || l.qty <= 0) return setError(t('doc.lineInvalid', { n: i + 1, msg: t('doc.needPositiveQty') }));
      if (price === null) return setError(t('doc.lineInvalid', { n: i + 1, msg: t('order.form.badMoney', { field: t('order.form.priceYuan') }) }));
      if (discount === null) return setError(t('doc.lineInvalid', { n: i + 1, msg: t('order.form.badMoney', { field: t('order.form.discountYuan') }) }));
      body_lines.push({ sku: l.sku!, qty: l.qty, unit_price_cents: price, discount_cents: discount });
    }
    const od = cents(s('discount'));
    if (od === null) return setError(t('order.form.badMoney', { field: t('order.form.orderDiscount') }));
    const sf = cents(s('shipping'));
    if (sf === null) return setError(t('order.form.badMoney', { field: t('order.form.shippingFee') }));
    const paid = cents(s('pay_amount'));
    if (paid === null) return setError(t('order.form.badMoney', { field: t('order.form.payAmount') }));
    const address = {
      receiver: s('receiver'),
      phone: s('receiver_phone'),
      province: s('province'),
      city: s('city'),
      district: s('district'),
      detail: s('detail'),
    };
    const hasAddress = Object.values(address).some(Boolean);
    const shipAfter = v.ship_after as dayjs.Dayjs | undefined;
    const tags = ((v.tags as string[] | undefined) ?? []).map((x) => x.trim()).filter(Boolean);
    setSaving(true);
    try {
      const out = await unwrap(
        api.POST('/api/v1/orders', {
          body: {
            channel: s('channel'),
            ...(s('external_ref') ? { external_ref: s('external_ref') } : {}),
            buyer: { name: s('buyer_name'), phone: s('buyer_phone') || null },
            ...(hasAddress ? { address } : {}),
            ...(s('warehouse') ? { warehouse: s('warehouse') } : {}),
            lines: body_lines,
            discount_cents: od,
            shipping_fee_cents: sf,
            ...(paid > 0 ? { payments: [{ method: s('pay_method') || 'wechat_pay', amount_cents: paid }] } : {}),
            ...(s('buyer_remark') ? { buyer_remark: s('buyer_remark') } : {}),
            ...(s('seller_memo') ? { seller_memo: s('seller_memo') } : {}),
            ...(shipAfter ? { ship_after: shipAfter.format('YYYY-MM-DD') } : {}),
            ...(tags.length ? { tags } : {}),
            on_short: 'hold',
          },
        }),
      );
      if (out.hold_reasons.length) {
        message.warning(t('order.form.held', { ref: out.ref, reasons: out.hold_reasons.map((r) => reasonText(lang, r)).join('；') }));
      } else {
        message.success(<span data-testid="order-form-created">{t('order.form.created', { ref: out.ref })}</span>);
      }
      onClose();
      onCreated(out.ref);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setSaving(false);
    }
  };

  const req = (field: string) => [{ required: true, message: t('doc.required', { field }) }];

  return (
    <Modal
      open={open}
      title={t('order.form.title')}
      width={980}
      onCancel={onClose}
      maskClosable={false}
      destroyOnHidden
      footer={
        <Space>
          <Typography.Text strong data-testid="order-form-payable">
            {payable === null ? '-' : t('order.form.total', { amount: formatCents(payable) })}
          </Typography.Text>
          <Button onClick={onClose}>{t('common.cancel')}</Button>
          <Button type="primary" loading={saving} onClick={() => void submit()} data-testid="order-form-submit">
            {t('common.save')}
          </Button>
        </Space>
      }
    >
      <div data-testid="order-form">
        <Form form={form} layout="vertical" size="small">
          <Row gutter={8}>
            <Col span={6}>
              <Form.Item name="channel" label={t('order.channel')} rules={req(t('order.channel'))}>
                <AutoComplete options={channels} filterOption={(input, o) => String(o?.label ?? '').toLowerCase().includes(input.toLowerCase())}>
                  <Input maxLength={64} placeholder={t('order.form.channelHint')} data-testid="order-form-channel" />
                </AutoComplete>
              </Form.Item>
            </Col>
            <Col span={6}>
              <Form.Item name="external_ref" label={t('order.externalRef')}>
                <Input maxLength={64} data-testid="order-form-external-ref" />
              </Form.Item>
            </Col>
            <Col span={6}>
              <Form.Item name="buyer_name" label={t('order.buyerName')}>
                <Input maxLength={200} data-testid="order-form-buyer-name" />
              </Form.Item>
            </Col>
            <Col span={6}>
              <Form.Item name="buyer_phone" label={t('order.buyerPhone')}>
                <Input maxLength={32} data-testid="order-form-buyer-phone" />
              </Form.Item>
            </Col>
            <Col span={6}>
              <Form.Item name="receiver" label={t('order.receiver')}>
                <Input maxLength={64} data-testid="order-form-receiver" />
              </Form.Item>
            </Col>
            <Col span={6}>
              <Form.Item name="receiver_phone" label={t('order.receiverPhone')}>
                <Input maxLength={32} data-testid="order-form-receiver-phone" />
              </Form.Item>
            </Col>
            <Col span={6}>
              <Form.Item name="province" label={t('order.province')}>
                <Select showSearch allowClear options={provinceOptions} data-testid="order-form-province" />
              </Form.Item>
            </Col>
            <Col span={6}>
              <Form.Item name="city" label={t('order.city')}>
                <Input maxLength={64} data-testid="order-form-city" />
              </Form.Item>
            </Col>
            <Col span={6}>
              <Form.Item name="district" label={t('order.district')}>
                <Input maxLength={64} data-testid="order-form-district" />
              </Form.Item>
            </Col>
            <Col span={12}>
              <Form.Item name="detail" label={t('order.detailAddress')}>
                <Input maxLength={200} data-testid="order-form-detail" />
              </Form.Item>
            </Col>
            <Col span={6}>
              <Form.Item name="warehouse" label={t('order.form.warehouse')}>
                <Select allowClear options={warehouses} data-testid="order-form-warehouse" />
              </Form.Item>
            </Col>
          </Row>
          <Divider style={{ margin: '4px 0 8px' }} orientation="left" plain>
            {t('order.form.lines')}
          </Divider>
          <Input
            ref={scanRef}
            prefix={<ScanOutlined />}
            value={scan}
            placeholder={t('order.form.scan')}
            onChange={(e) => setScan(e.target.value)}
            onPressEnter={() => void onScan()}
            style={{ width: 360, marginBottom: 8 }}
            data-testid="order-form-scan"
          />
          <Table<Line>
            size="small"
            rowKey="key"
            pagination={false}
            dataSource={lines}
            onRow={() => ({ 'data-testid': 'order-form-line' }) as never}
            columns={[
              { title: '#', key: 'n', width: 36, render: (_, __, i) => i + 1 },
              { title: t('order.sku'), key: 'sku', render: (_, l) => <SkuSelect value={l.sku} onChange={(v) => void pickSku(l.key, v)} testId="line-sku" /> },
              {
                title: t('order.qty'),
                key: 'qty',
                width: 100,
                render: (_, l) => (
                  <InputNumber value={l.qty} min={1} max={1_000_000_000} precision={0} style={{ width: '100%' }} onChange={(v) => update(l.key, { qty: typeof v === 'number' ? v : null })} data-testid="line-qty" />
                ),
              },
              { title: t('order.form.priceYuan'), key: 'price', width: 120, render: (_, l) => <Input value={l.price} onChange={(e) => update(l.key, { price: e.target.value })} data-testid="line-price" /> },
              { title: t('order.form.discountYuan'), key: 'discount', width: 110, render: (_, l) => <Input value={l.discount} onChange={(e) => update(l.key, { discount: e.target.value })} data-testid="line-discount" /> },
              {
                title: '',
                key: 'remove',
                width: 40,
                render: (_, l) => <Button size="small" type="text" danger icon={<DeleteOutlined />} title={t('doc.removeLine')} onClick={() => setLines((prev) => prev.filter((x) => x.key !== l.key))} />,
              },
            ]}
          />
          <Button size="small" icon={<PlusOutlined />} style={{ margin: '8px 0' }} onClick={() => setLines((prev) => [...prev, newLine()])} data-testid="order-form-add-line">
            {t('doc.addLine')}
          </Button>
          <Row gutter={8}>
            <Col span={4}>
              <Form.Item name="discount" label={t('order.form.orderDiscount')}>
                <Input data-testid="order-form-discount" />
              </Form.Item>
            </Col>
            <Col span={4}>
              <Form.Item name="shipping" label={t('order.form.shippingFee')}>
                <Input data-testid="order-form-shipping" />
              </Form.Item>
            </Col>
            <Col span={5}>
              <Form.Item name="pay_method" label={t('order.form.payMethod')}>
                <Select options={payMethodOptions(t)} data-testid="order-form-pay-method" />
              </Form.Item>
            </Col>
            <Col span={5}>
              <Form.Item name="pay_amount" label={t('order.form.payAmount')} tooltip={t('order.form.payHint')}>
                <Input onChange={() => setPayEdited(true)} data-testid="order-form-pay-amount" />
              </Form.Item>
            </Col>
            <Col span={6}>
              <Form.Item name="ship_after" label={t('order.shipAfter')}>
                <DatePicker style={{ width: '100%' }} data-testid="order-form-ship-after" />
              </Form.Item>
            </Col>
            <Col span={9}>
              <Form.Item name="buyer_remark" label={t('order.buyerRemark')}>
                <Input maxLength={500} data-testid="order-form-buyer-remark" />
              </Form.Item>
            </Col>
            <Col span={9}>
              <Form.Item name="seller_memo" label={t('order.sellerMemo')}>
                <Input maxLength={500} data-testid="order-form-seller-memo" />
              </Form.Item>
            </Col>
            <Col span={6}>
              <Form.Item name="tags" label={t('order.tags')}>
                <Select mode="tags" open={false} suffixIcon={null} tokenSeparators={[',', '，', ' ']} data-testid="order-form-tags" />
              </Form.Item>
            </Col>
          </Row>
        </Form>
        {error && <Alert type="error" showIcon message={error} data-testid="order-form-error" />}
      </div>
    </Modal>
  );
}
