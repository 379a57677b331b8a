import { useCallback, useEffect, useState } from 'react';
import { App, Button, Card, Form, Input, InputNumber, Modal, Select, Space, Switch, Table, Tag } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { api, ApiError, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { useI18n } from '../../i18n';
import { centsToYuanInput, formatCents, parseYuanToCents } from '../../money';

type Carrier = components['schemas']['CarrierOut'];
type Rule = components['schemas']['RuleOut'];
type Dialog = null | 'carrier' | 'account' | 'numbers' | 'rule';

const splitPlaces = (v?: string) => (v ?? '').split(/[,，\s]+/).map((x) => x.trim()).filter(Boolean);

/** Carriers and their accounts, the tracking-number pools, and the courier rules (region, weight band, fees). */
export default function CouriersPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [carriers, setCarriers] = useState<Carrier[]>([]);
  const [rules, setRules] = useState<Rule[]>([]);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [editing, setEditing] = useState<number | null>(null);
  const [form] = Form.useForm();

  const load = useCallback(() => {
    unwrap(api.GET('/api/v1/fulfillment/carriers')).then(setCarriers).catch(() => setCarriers([]));
    unwrap(api.GET('/api/v1/fulfillment/rules')).then(setRules).catch(() => setRules([]));
  }, []);
  useEffect(load, [load]);

  const accounts = carriers.flatMap((c) => c.accounts.map((a) => ({ ...a, carrier: c.name })));
  const open = (d: Dialog, values: Record<string, unknown> = {}, id: number | null = null) => {
    form.resetFields();
    form.setFieldsValue(values);
    setEditing(id);
    setDialog(d);
  };

  const save = async () => {
    const v = await form.validateFields();
    try {
      if (dialog === 'carrier') await unwrap(api.POST('/api/v1/fulfillment/carriers', { body: v }));
      if (dialog === 'account') await unwrap(api.POST('/api/v1/fulfillment/accounts', { body: v }));
      if (dialog === 'numbers') {
        const body = v.mode === 'range'
          ? { prefix: v.prefix ?? '', first: v.first, last: v.last, width: v.width }
          : { numbers: splitPlaces(v.numbers), prefix: '', width: 10 };
        const got = await unwrap(api.POST('/api/v1/fulfillment/accounts/{code}/numbers', { params: { path: { code: v.account } }, body }));
        message.success(t('ful.numbersAdded', { n: got.added }));
      }
      if (dialog === 'rule') {
        const body = {
          name: v.name,
          account: v.account,
          priority: v.priority,
          provinces: splitPlaces(v.provinces),
          cities: splitPlaces(v.cities),
          min_weight_g: v.min_weight_g ?? 0,
          max_weight_g: v.max_weight_g ?? null,
          first_weight_g: v.first_weight_g,
          first_fee_cents: parseYuanToCents(String(v.first_fee ?? '0')) ?? 0,
          extra_unit_g: v.extra_unit_g,
          extra_fee_cents: parseYuanToCents(String(v.extra_fee ?? '0')) ?? 0,
          active: v.active ?? true,
        };
        if (editing === null) await unwrap(api.POST('/api/v1/fulfillment/rules', { body }));
        else await unwrap(api.PUT('/api/v1/fulfillment/rules/{rule_id}', { params: { path: { rule_id: editing } }, body }));
      }
      if (dialog !== 'numbers') message.success(t('common.saved'));
      setDialog(null);
      load();
    } catch (e) {
      message.error((e as ApiError).message);
    }
  };

  const accountOptions = accounts.map((a) => ({ value: a.code, label: `${a.carrier} · ${a.name} (${a.code})` }));
  const mode = Form.useWatch('mode', form);

  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Card
        size="small"
        title={t('ful.carriers')}
        extra={
          <Space>
            <Button icon={<PlusOutlined />} onClick={() => open('carrier')} data-testid="new-carrier">
              {t('ful.newCarrier')}
            </Button>
            <Button icon={<PlusOutlined />} onClick={() => open('account', { carrier: carriers[0]?.code })} disabled={!carriers.length}>
              {t('ful.newAccount')}
            </Button>
            <Button onClick={() => open('numbers', { account: accounts[0]?.code, mode: 'range', width: 10 })} disabled={!accounts.length} data-testid="import-numbers">
              {t('ful.importNumbers')}
            </Button>
          </Space>
        }
      >
        <Table
          size="small"
          rowKey="code"
          pagination={false}
          dataSource={accounts}
          data-testid="accounts-table"
          columns={[
            { title: t('ful.carrier'), dataIndex: 'carrier' },
            { title: t('ful.account'), dataIndex: 'name' },
            { title: t('ful.code'), dataIndex: 'code' },
            { title: t('ful.freeNumbers'), dataIndex: 'free_numbers', align: 'right' },
            { title: t('ful.usedNumbers'), dataIndex: 'used_numbers', align: 'right' },
          ]}
        />
      </Card>
      <Card
        size="small"
        title={t('ful.rules')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} disabled={!accounts.length} onClick={() => open('rule', { account: accounts[0]?.code, priority: 100, first_weight_g: 1000, extra_unit_g: 1000, first_fee: '10.00', extra_fee: '2.00', active: true })}>
            {t('ful.newRule')}
          </Button>
        }
      >
        <Table
          size="small"
          rowKey="id"
          pagination={false}
          dataSource={rules}
          data-testid="rules-table"
          columns={[
            { title: t('ful.priority'), dataIndex: 'priority', width: 80 },
            { title: t('ful.rule'), dataIndex: 'name' },
            { title: t('ful.account'), dataIndex: 'account' },
            { title: t('ful.provinces'), render: (_: unknown, r: Rule) => (r.provinces?.length ? r.provinces.join('、') : t('ful.anywhere')) + (r.cities?.length ? ` / ${r.cities.join('、')}` : '') },
            { title: t('ful.weightBand'), render: (_: unknown, r: Rule) => `${r.min_weight_g ?? 0} – ${r.max_weight_g ?? '∞'}` },
            { title: t('ful.firstFee'), render: (_: unknown, r: Rule) => `${r.first_weight_g} g: ${formatCents(r.first_fee_cents ?? 0)}` },
            { title: t('ful.extraFee'), render: (_: unknown, r: Rule) => `+${r.extra_unit_g} g: ${formatCents(r.extra_fee_cents ?? 0)}` },
            { title: t('common.status'), dataIndex: 'active', render: (v: boolean) => <Tag color={v ? 'success' : 'default'}>{v ? t('common.active') : t('common.inactive')}</Tag> },
            {
              title: t('common.actions'),
              render: (_: unknown, r: Rule) => (
                <Button
                  size="small"
                  onClick={() =>
                    open(
                      'rule',
                      {
                        ...r,
                        provinces: (r.provinces ?? []).join(','),
                        cities: (r.cities ?? []).join(','),
                        first_fee: centsToYuanInput(r.first_fee_cents ?? 0),
                        extra_fee: centsToYuanInput(r.extra_fee_cents ?? 0),
                      },
                      r.id,
                    )
                  }
                >
                  {t('common.edit')}
                </Button>
              ),
            },
          ]}
        />
      </Card>
      <Modal open={dialog !== null} onOk={() => void save()} onCancel={() => setDialog(null)} destroyOnHidden title={dialog ? { carrier: t('ful.newCarrier'), account: t('ful.newAccount'), numbers: t('ful.importNumbers'), rule: t('ful.rules') }[dialog] : ''}>
        <Form form={form} layout="vertical">
          {(dialog === 'carrier' || dialog === 'account') && (
            <>
              {dialog === 'account' && (
                <Form.Item name="carrier" label={t('ful.carrier')} rules={[{ required: true }]}>
                  <Select options={carriers.map((c) => ({ value: c.code, label: c.name }))} />
                </Form.Item>
              )}
              <Form.Item name="code" label={t('ful.code')} rules={[{ required: true }]}>
                <Input maxLength={32} />
              </Form.Item>
              <Form.Item name="name" label={t('ful.name')} rules={[{ required: true }]}>
                <Input maxLength={100} />
              </Form.Item>
            </>
          )}
          {dialog === 'numbers' && (
            <>
              <Form.Item name="account" label={t('ful.account')} rules={[{ required: true }]}>
                <Select options={accountOptions} />
              </Form.Item>
              <Form.Item name="mode">
                <Select options={[{ value: 'range', label: `${t('ful.first')} – ${t('ful.last')}` }, { value: 'list', label: t('ful.numbersList') }]} />
              </Form.Item>
              {mode === 'list' ? (
                <Form.Item name="numbers" label={t('ful.numbersList')} rules={[{ required: true }]}>
                  <Input.TextArea rows={6} />
                </Form.Item>
              ) : (
                <Space wrap>
                  <Form.Item name="prefix" label={t('ful.prefix')}>
                    <Input maxLength={20} style={{ width: 100 }} />
                  </Form.Item>
                  <Form.Item name="first" label={t('ful.first')} rules={[{ required: true }]}>
                    <InputNumber min={0} precision={0} />
                  </Form.Item>
                  <Form.Item name="last" label={t('ful.last')} rules={[{ required: true }]}>
                    <InputNumber min={0} precision={0} />
                  </Form.Item>
                  <Form.Item name="width" label={t('ful.width')} rules={[{ required: true }]}>
                    <InputNumber min={1} max={30} precision={0} />
                  </Form.Item>
                </Space>
              )}
            </>
          )}
          {dialog === 'rule' && (
            <>
              <Form.Item name="name" label={t('ful.rule')} rules={[{ required: true }]}>
                <Input maxLength={100} />
              </Form.Item>
              <Form.Item name="account" label={t('ful.account')} rules={[{ required: true }]}>
                <Select options={accountOptions} />
              </Form.Item>
              <Space wrap>
                <Form.Item name="priority" label={t('ful.priority')} rules={[{ required: true }]}>
                  <InputNumber min={0} max={10000} precision={0} />
                </Form.Item>
                <Form.Item name="active" label={t('common.active')} valuePropName="checked">
                  <Switch />
                </Form.Item>
              </Space>
              <Form.Item name="provinces" label={t('ful.provinces')}>
                <Input placeholder="浙江省,江苏省" />
              </Form.Item>
              <Form.Item name="cities" label={t('ful.cities')}>
                <Input />
              </Form.Item>
              <Space wrap>
                <Form.Item name="min_weight_g" label={`${t('ful.weightBand')} ≥`}>
                  <InputNumber min={0} precision={0} />
                </Form.Item>
                <Form.Item name="max_weight_g" label="≤">
                  <InputNumber min={0} precision={0} />
                </Form.Item>
              </Space>
              <Space wrap>
                <Form.Item name="first_weight_g" label={t('ful.firstWeight')} rules={[{ required: true }]}>
                  <InputNumber min={0} precision={0} />
                </Form.Item>
                <Form.Item name="first_fee" label={t('ful.firstFee')} rules={[{ required: true }]}>
                  <Input style={{ width: 100 }} />
                </Form.Item>
                <Form.Item name="extra_unit_g" label={t('ful.extraUnit')} rules={[{ required: true }]}>
                  <InputNumber min={1} precision={0} />
                </Form.Item>
                <Form.Item name="extra_fee" label={t('ful.extraFee')} rules={[{ required: true }]}>
                  <Input style={{ width: 100 }} />
                </Form.Item>
              </Space>
            </>
          )}
        </Form>
      </Modal>
    </Space>
  );
}
