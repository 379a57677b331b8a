// The order pool's set-up: auto-review rules (审单规则), the blacklist (黑名单), routing rules
// (路由规则), channels with their webhook (渠道设置) and order import (订单导入).
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Alert, App, Button, Card, Form, Input, InputNumber, Modal, Popconfirm, Select, Space, Switch, Table, Tag, Typography, Upload } from 'antd';
import { DeleteOutlined, DownloadOutlined, EditOutlined, KeyOutlined, PlusOutlined, UploadOutlined } from '@ant-design/icons';
import { ApiError, api, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { useAuth } from '../../auth';
import { errorText } from '../../components/useCursorList';
import { useWarehouses } from '../../components/useWarehouses';
import { useI18n } from '../../i18n';
import { centsToYuanInput, parseYuanToCents } from '../../money';
import { fileBody, saveBlob } from '../catalog/catalogCommon';
import { OrderStatusTag, provinceOptions, useChannels } from './orderCommon';

type S = components['schemas'];
type ReviewRule = S['ReviewRuleOut'];
type BlacklistEntry = S['BlacklistOut'];
type RouteRule = S['RouteRuleOut'];
type Channel = S['ChannelOut'];
type ImportRow = S['ImportRow'];

/** A list loaded once and reloaded on demand; errors shown as a message. */
function useLoad<T>(load: () => Promise<T[]>) {
  const { message } = App.useApp();
  const [items, setItems] = useState<T[]>([]);
  const [loading, setLoading] = useState(false);
  const ref = useRef(load);
  ref.current = load;
  const reload = useCallback(async () => {
    setLoading(true);
    try {
      setItems(await ref.current());
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setLoading(false);
    }
  }, [message]);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { items, loading, reload };
}

// -- 审单规则 -------------------------------------------------------------------------------------

function ReviewParams({ rule, onSave, disabled }: { rule: ReviewRule; onSave: (params: Record<string, unknown>) => void; disabled: boolean }) {
  const { t } = useI18n();
  const p = rule.params as Record<string, unknown>;
  if (Array.isArray(p.keywords)) {
    return (
      <Select
        mode="tags"
        size="small"
        style={{ minWidth: 320 }}
        value={p.keywords as string[]}
        disabled={disabled}
        open={false}
        suffixIcon={null}
        tokenSeparators={[',', '，', ' ']}
        onChange={(v: string[]) => onSave({ ...p, keywords: v })}
        data-testid="review-keywords"
      />
    );
  }
  if (typeof p.threshold_cents === 'number') {
    return (
      <Input
        size="small"
        addonBefore="¥"
        style={{ width: 180 }}
        defaultValue={centsToYuanInput(p.threshold_cents)}
        disabled={disabled}
        onBlur={(e) => {
          const c = parseYuanToCents(e.target.value);
          if (c !== null && c !== p.threshold_cents) onSave({ ...p, threshold_cents: c });
        }}
        data-testid="review-threshold"
      />
    );
  }
  if (typeof p.window_hours === 'number') {
    return (
      <InputNumber
        size="small"
        min={1}
        max={720}
        precision={0}
        addonAfter={t('cfg.hours')}
        defaultValue={p.window_hours}
        disabled={disabled}
        onBlur={(e) => {
          const n = Number(e.target.value);
          if (Number.isSafeInteger(n) && n > 0 && n !== p.window_hours) onSave({ ...p, window_hours: n });
        }}
        data-testid="review-window"
      />
    );
  }
  return <Typography.Text type="secondary">-</Typography.Text>;
}

export function ReviewRulesPage() {
  const { t, lang } = useI18n();
  const { can } = useAuth();
  const { message } = App.useApp();
  const list = useLoad<ReviewRule>(() => unwrap(api.GET('/api/v1/orders/config/review-rules')));
  const manage = can('orders.rule.manage');

  const save = async (rule: ReviewRule, enabled: boolean, params?: Record<string, unknown>) => {
    try {
      await unwrap(api.PUT('/api/v1/orders/config/review-rules/{kind}', { params: { path: { kind: rule.kind } }, body: { enabled, ...(params ? { params } : {}) } }));
      message.success(<span data-testid="review-saved">{t('cfg.saved', { name: lang === 'en-US' ? rule.name_en : rule.name_zh })}</span>);
    } catch (e) {
      message.error(errorText(e));
    }
    void list.reload();
  };

  return (
    <Card size="small" title={t('cfg.reviewRules')} data-testid="review-rules">
      <Typography.Paragraph type="secondary">{t('cfg.reviewHint')}</Typography.Paragraph>
      <Table<ReviewRule>
        size="small"
        rowKey="kind"
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        onRow={(r) => ({ 'data-testid': 'review-rule', 'data-kind': r.kind }) as never}
        columns={[
          {
            title: t('cfg.enabled'),
            dataIndex: 'enabled',
            width: 80,
            render: (v: boolean, r) => (
              <Switch size="small" checked={v} disabled={!manage || r.always_on} onChange={(on) => void save(r, on)} data-testid="review-enabled" />
            ),
          },
          { title: t('cfg.rule'), key: 'name', width: 140, render: (_, r) => <Typography.Text strong>{lang === 'en-US' ? r.name_en : r.name_zh}</Typography.Text> },
          { title: t('cfg.description'), key: 'desc', render: (_, r) => (lang === 'en-US' ? r.description_en : r.description_zh) },
          {
            title: t('cfg.params'),
            key: 'params',
            width: 360,
            render: (_, r) => <ReviewParams key={JSON.stringify(r.params)} rule={r} disabled={!manage} onSave={(params) => void save(r, r.enabled, params)} />,
          },
        ]}
      />
    </Card>
  );
}

// -- 黑名单 ---------------------------------------------------------------------------------------

export function BlacklistPage() {
  const { t } = useI18n();
  const { can } = useAuth();
  const { message } = App.useApp();
  const list = useLoad<BlacklistEntry>(() => unwrap(api.GET('/api/v1/orders/config/blacklist')));
  const [form] = Form.useForm();
  const kind = Form.useWatch('kind', form) as string | undefined;
  const [error, setError] = useState<string | null>(null);
  const manage = can('orders.rule.manage');

  const add = async () => {
    setError(null);
    const v = form.getFieldsValue();
    const value =
      v.kind === 'address'
        ? [v.province, v.city, v.district, v.detail].map((x: string | undefined) => (x ?? '').trim()).join('|')
        : String(v.value ?? '').trim();
    if (!value.replace(/\|/g, '')) return setError(t('doc.required', { field: t('cfg.value') }));
    try {
      await unwrap(api.POST('/api/v1/orders/config/blacklist', { body: { kind: v.kind, value, note: (v.note ?? '').trim() || null } }));
      message.success(t('cfg.added'));
      form.resetFields(['value', 'province', 'city', 'district', 'detail', 'note']);
      void list.reload();
    } catch (e) {
      setError(errorText(e));
    }
  };

  const remove = async (id: number) => {
    try {
      await unwrap(api.DELETE('/api/v1/orders/config/blacklist/{entry_id}', { params: { path: { entry_id: id } } }));
      void list.reload();
    } catch (e) {
      message.error(errorText(e));
    }
  };

  return (
    <Card size="small" title={t('cfg.blacklist')} data-testid="blacklist">
      {manage && (
        <Form form={form} layout="inline" size="small" initialValues={{ kind: 'phone' }} style={{ rowGap: 8, marginBottom: 8 }}>
          <Form.Item name="kind" label={t('cfg.kind')}>
            <Select
              style={{ width: 110 }}
              options={(['buyer', 'phone', 'address'] as const).map((k) => ({ value: k, label: t(`cfg.bl.${k}`) }))}
              data-testid="blacklist-kind"
            />
          </Form.Item>
          {kind === 'address' ? (
            <>
              <Form.Item name="province">
                <Select showSearch style={{ width: 150 }} placeholder={t('order.province')} options={provinceOptions} data-testid="blacklist-province" />
              </Form.Item>
              <Form.Item name="city">
                <Input style={{ width: 110 }} placeholder={t('order.city')} data-testid="blacklist-city" />
              </Form.Item>
              <Form.Item name="district">
                <Input style={{ width: 110 }} placeholder={t('order.district')} data-testid="blacklist-district" />
              </Form.Item>
              <Form.Item name="detail">
                <Input style={{ width: 200 }} placeholder={t('order.detailAddress')} data-testid="blacklist-detail" />
              </Form.Item>
            </>
          ) : (
            <Form.Item name="value">
              <Input style={{ width: 220 }} placeholder={t('cfg.value')} maxLength={300} data-testid="blacklist-value" />
            </Form.Item>
          )}
          <Form.Item name="note">
            <Input style={{ width: 180 }} placeholder={t('doc.note')} maxLength={200} data-testid="blacklist-note" />
          </Form.Item>
          <Button type="primary" size="small" icon={<PlusOutlined />} onClick={() => void add()} data-testid="blacklist-add">
            {t('cfg.add')}
          </Button>
        </Form>
      )}
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 8 }} data-testid="blacklist-error" />}
      <Table<BlacklistEntry>
        size="small"
        rowKey="id"
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        onRow={() => ({ 'data-testid': 'blacklist-row' }) as never}
        columns={[
          { title: t('cfg.kind'), dataIndex: 'kind', width: 100, render: (v: 'buyer' | 'phone' | 'address') => <Tag>{t(`cfg.bl.${v}`)}</Tag> },
          { title: t('cfg.value'), dataIndex: 'value', render: (v: string, r) => (r.kind === 'address' ? v.split('|').join(' ') : v) },
          { title: t('doc.note'), dataIndex: 'note', render: (v: string | null) => v || '-' },
          {
            title: '',
            key: 'x',
            width: 48,
            render: (_, r) =>
              manage && (
                <Popconfirm title={t('cfg.removeConfirm')} onConfirm={() => void remove(r.id)}>
                  <Button size="small" type="text" danger icon={<DeleteOutlined />} data-testid="blacklist-remove" />
                </Popconfirm>
              ),
          },
        ]}
      />
    </Card>
  );
}

// -- 路由规则 -------------------------------------------------------------------------------------

const ROUTE_KINDS = ['channel', 'sku', 'region', 'fewest_packages', 'fallback'] as const;

/** The pool setting: split an order no single warehouse can fill over several (on by default). */
function AutoSplitSwitch({ manage }: { manage: boolean }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [on, setOn] = useState<boolean | null>(null);
  useEffect(() => {
    void unwrap(api.GET('/api/v1/orders/config/settings')).then((s) => setOn(Boolean(s.auto_split)));
  }, []);
  const change = async (value: boolean) => {
    try {
      const s = await unwrap(api.PUT('/api/v1/orders/config/settings', { body: { auto_split: value } }));
      setOn(Boolean(s.auto_split));
    } catch (e) {
      message.error(errorText(e));
    }
  };
  return (
    <Space style={{ marginBottom: 12 }}>
      <Switch data-testid="auto-split" checked={Boolean(on)} loading={on === null} disabled={!manage} onChange={(v) => void change(v)} />
      <span>{t('cfg.autoSplit')}</span>
    </Space>
  );
}

export function RouteRulesPage() {
  const { t } = useI18n();
  const { can } = useAuth();
  const { message } = App.useApp();
  const warehouses = useWarehouses();
  const channels = useChannels();
  const list = useLoad<RouteRule>(async () => {
    const rows = await unwrap(api.GET('/api/v1/orders/config/route-rules'));
    return [...rows].sort((a, b) => a.priority - b.priority || a.id - b.id);
  });
  const [editing, setEditing] = useState<RouteRule | 'new' | null>(null);
  const [form] = Form.useForm();
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const manage = can('orders.rule.manage');
  const kind = Form.useWatch('kind', form) as string | undefined;

  useEffect(() => {
    if (!editing) return;
    setError(null);
    form.resetFields();
    if (editing === 'new') {
      const next = list.items.reduce((m, r) => Math.max(m, r.priority), 0) + 10;
      form.setFieldsValue({ kind: 'region', priority: next, enabled: true, channels: [], skus: [], provinces: [] });
    } else form.setFieldsValue(editing);
  }, [editing, form, list.items]);

  const save = async () => {
    let v: Record<string, unknown>;
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    setSaving(true);
    setError(null);
    const body = {
      name: String(v.name).trim(),
      kind: v.kind as (typeof ROUTE_KINDS)[number],
      priority: Number(v.priority),
      warehouse: (v.warehouse as string) || null,
      channels: (v.channels as string[]) ?? [],
      skus: ((v.skus as string[]) ?? []).map((x) => x.trim()).filter(Boolean),
      provinces: (v.provinces as string[]) ?? [],
      enabled: Boolean(v.enabled),
    };
    try {
      if (editing === 'new') await unwrap(api.POST('/api/v1/orders/config/route-rules', { body }));
      else if (editing) await unwrap(api.PUT('/api/v1/orders/config/route-rules/{rule_id}', { params: { path: { rule_id: editing.id } }, body }));
      message.success(t('cfg.saved', { name: body.name }));
      setEditing(null);
      void list.reload();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setSaving(false);
    }
  };

  const remove = async (id: number) => {
    try {
      await unwrap(api.DELETE('/api/v1/orders/config/route-rules/{rule_id}', { params: { path: { rule_id: id } } }));
      void list.reload();
    } catch (e) {
      message.error(errorText(e));
    }
  };

  const toggle = async (r: RouteRule, enabled: boolean) => {
    try {
      const { id: _id, ...rest } = r;
      await unwrap(api.PUT('/api/v1/orders/config/route-rules/{rule_id}', { params: { path: { rule_id: r.id } }, body: { ...rest, kind: r.kind as (typeof ROUTE_KINDS)[number], enabled } }));
    } catch (e) {
      message.error(errorText(e));
    }
    void list.reload();
  };

  const kindOptions = ROUTE_KINDS.map((k) => ({ value: k, label: t(`cfg.route.${k}`) }));
  const whOptions = warehouses.map((w) => ({ value: w.code, label: `${w.code} ${w.name}` }));
  const chOptions = channels.map((c) => ({ value: c.code, label: `${c.code} ${c.name}` }));

  return (
    <Card
      size="small"
      title={t('cfg.routeRules')}
      data-testid="route-rules"
      extra={
        manage && (
          <Button size="small" type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')} data-testid="route-new">
            {t('cfg.newRule')}
          </Button>
        )
      }
    >
      <Typography.Paragraph type="secondary">{t('cfg.routeHint')}</Typography.Paragraph>
      <AutoSplitSwitch manage={manage} />
      <Table<RouteRule>
        size="small"
        rowKey="id"
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        onRow={(r) => ({ 'data-testid': 'route-rule', 'data-name': r.name }) as never}
        columns={[
          { title: t('cfg.priority'), dataIndex: 'priority', width: 70 },
          { title: t('cfg.name'), dataIndex: 'name', width: 160 },
          { title: t('cfg.kind'), dataIndex: 'kind', width: 100, render: (v: string) => <Tag color="blue">{t(`cfg.route.${v as (typeof ROUTE_KINDS)[number]}`)}</Tag> },
          { title: t('order.warehouse'), dataIndex: 'warehouse', width: 100, render: (v: string | null) => v || '-' },
          {
            title: t('cfg.conditions'),
            key: 'cond',
            render: (_, r) => (
              <Space size={[2, 2]} wrap>
                {r.channels.map((x) => <Tag key={`c${x}`}>{x}</Tag>)}
                {r.skus.map((x) => <Tag key={`s${x}`} color="purple">{x}</Tag>)}
                {r.provinces.map((x) => <Tag key={`p${x}`} color="green">{x}</Tag>)}
              </Space>
            ),
          },
          { title: t('cfg.enabled'), dataIndex: 'enabled', width: 70, render: (v: boolean, r) => <Switch size="small" checked={v} disabled={!manage} onChange={(on) => void toggle(r, on)} data-testid="route-enabled" /> },
          {
            title: '',
            key: 'x',
            width: 80,
            render: (_, r) =>
              manage && (
                <Space size={0}>
                  <Button size="small" type="text" icon={<EditOutlined />} onClick={() => setEditing(r)} data-testid="route-edit" />
                  <Popconfirm title={t('cfg.removeConfirm')} onConfirm={() => void remove(r.id)}>
                    <Button size="small" type="text" danger icon={<DeleteOutlined />} data-testid="route-remove" />
                  </Popconfirm>
                </Space>
              ),
          },
        ]}
      />
      <Modal
        open={editing !== null}
        title={editing === 'new' ? t('cfg.newRule') : t('cfg.editRule')}
        onCancel={() => setEditing(null)}
        onOk={() => void save()}
        confirmLoading={saving}
        okButtonProps={{ 'data-testid': 'route-save' } as never}
        width={620}
        destroyOnHidden
        forceRender
      >
        <Form form={form} layout="vertical" size="small" data-testid="route-form">
          <Space style={{ width: '100%' }} align="start">
            <Form.Item name="name" label={t('cfg.name')} rules={[{ required: true, message: t('doc.required', { field: t('cfg.name') }) }]}>
              <Input maxLength={100} style={{ width: 220 }} data-testid="route-name" />
            </Form.Item>
            <Form.Item name="kind" label={t('cfg.kind')}>
              <Select style={{ width: 140 }} options={kindOptions} data-testid="route-kind" />
            </Form.Item>
            <Form.Item name="priority" label={t('cfg.priority')}>
              <InputNumber min={0} max={10000} precision={0} data-testid="route-priority" />
            </Form.Item>
            <Form.Item name="enabled" label={t('cfg.enabled')} valuePropName="checked">
              <Switch />
            </Form.Item>
          </Space>
          {kind !== 'fewest_packages' && (
            <Form.Item name="warehouse" label={t('order.warehouse')}>
              <Select allowClear options={whOptions} data-testid="route-warehouse" />
            </Form.Item>
          )}
          {kind === 'channel' && (
            <Form.Item name="channels" label={t('order.channel')}>
              <Select mode="multiple" options={chOptions} data-testid="route-channels" />
            </Form.Item>
          )}
          {kind === 'sku' && (
            <Form.Item name="skus" label={t('order.sku')}>
              <Select mode="tags" open={false} suffixIcon={null} tokenSeparators={[',', ' ']} data-testid="route-skus" />
            </Form.Item>
          )}
          {kind === 'region' && (
            <Form.Item name="provinces" label={t('order.province')}>
              <Select mode="multiple" options={provinceOptions} data-testid="route-provinces" />
            </Form.Item>
          )}
          {error && <Alert type="error" showIcon message={error} data-testid="route-error" />}
        </Form>
      </Modal>
    </Card>
  );
}

// -- 渠道设置 -------------------------------------------------------------------------------------

export function ChannelsPage() {
  const { t } = useI18n();
  const { can } = useAuth();
  const { message, modal } = App.useApp();
  const list = useLoad<Channel>(() => unwrap(api.GET('/api/v1/orders/channels')));
  const [form] = Form.useForm();
  const manage = can('orders.channel.manage');

  const create = async () => {
    let v: Record<string, string>;
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    try {
      await unwrap(api.POST('/api/v1/orders/channels', { body: { code: v.code.trim(), name: v.name.trim(), kind: v.kind || 'other' } }));
      form.resetFields();
      message.success(t('cfg.added'));
      void list.reload();
    } catch (e) {
      message.error(errorText(e));
    }
  };

  const patch = async (c: Channel, body: { adapter?: 'shopify' | 'generic' | 'none'; active?: boolean; writeback_url?: string }) => {
    try {
      await unwrap(api.PATCH('/api/v1/orders/channels/{code}', { params: { path: { code: c.code } }, body }));
      void list.reload();
    } catch (e) {
      message.error(errorText(e));
    }
  };

  const rotate = async (c: Channel) => {
    try {
      const out = await unwrap(api.POST('/api/v1/orders/channels/{code}/webhook-secret', { params: { path: { code: c.code } } }));
      modal.info({
        title: t('cfg.secretTitle', { code: c.code }),
        width: 560,
        content: (
          <div data-testid="channel-secret">
            <Typography.Paragraph type="warning">{t('cfg.secretOnce')}</Typography.Paragraph>
            <Typography.Paragraph copyable code data-testid="channel-secret-value">
              {out.secret}
            </Typography.Paragraph>
            <Typography.Paragraph copyable>{window.location.origin + c.webhook_path}</Typography.Paragraph>
          </div>
        ),
      });
      void list.reload();
    } catch (e) {
      message.error(errorText(e));
    }
  };

  const kinds = ['wechat_mini', 'community_group', 'live_stream', 'distributor', 'offline_store', 'marketplace', 'other'];

  return (
    <Card size="small" title={t('cfg.channels')} data-testid="channels">
      {manage && (
        <Form form={form} layout="inline" size="small" style={{ rowGap: 8, marginBottom: 8 }}>
          <Form.Item name="code" rules={[{ required: true, message: t('doc.required', { field: t('cfg.code') }) }]}>
            <Input placeholder={t('cfg.code')} maxLength={64} style={{ width: 140 }} data-testid="channel-code" />
          </Form.Item>
          <Form.Item name="name" rules={[{ required: true, message: t('doc.required', { field: t('cfg.name') }) }]}>
            <Input placeholder={t('cfg.name')} maxLength={200} style={{ width: 180 }} data-testid="channel-name" />
          </Form.Item>
          <Form.Item name="kind">
            <Select placeholder={t('cfg.kind')} style={{ width: 150 }} options={kinds.map((k) => ({ value: k, label: k }))} />
          </Form.Item>
          <Button size="small" type="primary" icon={<PlusOutlined />} onClick={() => void create()} data-testid="channel-add">
            {t('cfg.add')}
          </Button>
        </Form>
      )}
      <Table<Channel>
        size="small"
        rowKey="code"
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        onRow={(c) => ({ 'data-testid': 'channel-row', 'data-code': c.code }) as never}
        columns={[
          { title: t('cfg.code'), dataIndex: 'code', width: 140 },
          { title: t('cfg.name'), dataIndex: 'name', width: 160 },
          { title: t('cfg.kind'), dataIndex: 'kind', width: 120 },
          { title: t('cfg.enabled'), dataIndex: 'active', width: 70, render: (v: boolean, c) => <Switch size="small" checked={v} disabled={!manage} onChange={(on) => void patch(c, { active: on })} /> },
          {
            title: t('cfg.adapter'),
            dataIndex: 'adapter',
            width: 140,
            render: (v: string | null, c) => (
              <Select
                size="small"
                style={{ width: 120 }}
                value={v ?? 'none'}
                disabled={!manage}
                onChange={(a) => void patch(c, { adapter: a as 'shopify' | 'generic' | 'none' })}
                options={[
                  { value: 'none', label: t('cfg.adapterNone') },
                  { value: 'shopify', label: 'Shopify' },
                  { value: 'generic', label: t('cfg.adapterGeneric') },
                ]}
                data-testid="channel-adapter"
              />
            ),
          },
          {
            title: t('cfg.webhook'),
            key: 'hook',
            render: (_, c) =>
              c.adapter ? (
                <Space direction="vertical" size={0}>
                  <Typography.Text copyable style={{ fontSize: 12 }}>
                    {window.location.origin + c.webhook_path}
                  </Typography.Text>
                  <Typography.Text type={c.has_secret ? 'success' : 'warning'} style={{ fontSize: 12 }}>
                    {c.has_secret ? t('cfg.hasSecret') : t('cfg.noSecret')}
                  </Typography.Text>
                </Space>
              ) : (
                '-'
              ),
          },
          {
            title: t('cfg.writeback'),
            dataIndex: 'writeback_url',
            width: 260,
            render: (v: string | null, c) => (
              <Space direction="vertical" size={0} data-testid="channel-writeback">
                <Typography.Text
                  style={{ fontSize: 12 }}
                  type={v ? undefined : 'secondary'}
                  editable={
                    manage
                      ? {
                          text: v ?? '',
                          tooltip: t('cfg.writebackEdit'),
                          onChange: (url) => {
                            if (url.trim() !== (v ?? '')) void patch(c, { writeback_url: url.trim() });
                          },
                        }
                      : false
                  }
                >
                  {v || t('cfg.writebackNone')}
                </Typography.Text>
                {v && !c.has_secret && (
                  <Typography.Text type="warning" style={{ fontSize: 12 }}>
                    {t('cfg.writebackNoSecret')}
                  </Typography.Text>
                )}
              </Space>
            ),
          },
          {
            title: '',
            key: 'x',
            width: 130,
            render: (_, c) =>
              manage && (
                <Popconfirm title={c.has_secret ? t('cfg.rotateConfirm') : t('cfg.generateSecret')} onConfirm={() => void rotate(c)} okButtonProps={{ 'data-testid': 'channel-rotate-ok' } as never}>
                  <Button size="small" icon={<KeyOutlined />} data-testid="channel-rotate">
                    {c.has_secret ? t('cfg.rotateSecret') : t('cfg.generateSecret')}
                  </Button>
                </Popconfirm>
              ),
          },
        ]}
      />
    </Card>
  );
}

// -- 订单导入 -------------------------------------------------------------------------------------

interface CellError {
  row: number;
  column: string;
  header?: string;
  column_zh: string;
  column_en: string;
  code: string;
  zh: string;
  en: string;
}

export function OrderImportPage() {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const [rows, setRows] = useState<ImportRow[] | null>(null);
  const [errors, setErrors] = useState<CellError[] | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [importing, setImporting] = useState(false);

  const template = async () => {
    try {
      const blob = await unwrap(api.GET('/api/v1/orders/import/template', { params: { query: { lang: lang === 'en-US' ? 'en' : 'zh-CN' } }, parseAs: 'blob' }));
      saveBlob(blob as unknown as Blob, lang === 'en-US' ? 'order-import.xlsx' : '订单导入模板.xlsx');
    } catch (e) {
      message.error(errorText(e));
    }
  };

  const upload = async (file: File) => {
    setImporting(true);
    setRows(null);
    setErrors(null);
    setFailure(null);
    try {
      setRows(await unwrap(api.POST('/api/v1/orders/import', fileBody(file))));
    } catch (e) {
      setFailure(errorText(e));
      if (e instanceof ApiError && Array.isArray(e.problem.errors)) setErrors(e.problem.errors as CellError[]);
    } finally {
      setImporting(false);
    }
  };

  const ok = useMemo(() => rows?.filter((r) => r.ok).length ?? 0, [rows]);

  return (
    <Card
      size="small"
      title={t('cfg.import')}
      data-testid="order-import"
      extra={
        <Button size="small" icon={<DownloadOutlined />} onClick={() => void template()} data-testid="order-import-template">
          {t('cfg.template')}
        </Button>
      }
    >
      <Typography.Paragraph type="secondary">{t('cfg.importHint')}</Typography.Paragraph>
      <Upload
        accept=".xlsx,.csv"
        showUploadList={false}
        beforeUpload={(file) => {
          void upload(file);
          return false;
        }}
      >
        <Button type="primary" icon={<UploadOutlined />} loading={importing} data-testid="order-import-upload">
          {t('cfg.upload')}
        </Button>
      </Upload>
      {failure && <Alert type="error" showIcon message={failure} style={{ margin: '8px 0' }} data-testid="order-import-error" />}
      {errors && (
        <Table<CellError>
          size="small"
          rowKey={(e) => `${e.row}/${e.column}/${e.code}`}
          dataSource={errors}
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
          data-testid="order-import-errors"
          columns={[
            { title: t('catalog.importRow'), dataIndex: 'row', width: 70 },
            { title: t('catalog.importColumn'), key: 'column', width: 160, render: (_, e) => (lang === 'en-US' ? e.column_en : e.column_zh) || e.header || '-' },
            { title: t('catalog.importReason'), key: 'reason', render: (_, e) => (lang === 'en-US' ? e.en : e.zh) },
          ]}
        />
      )}
      {rows && (
        <>
          <Alert type={ok === rows.length ? 'success' : 'warning'} showIcon style={{ margin: '8px 0' }} message={t('cfg.importDone', { ok, bad: rows.length - ok })} data-testid="order-import-summary" />
          <Table<ImportRow>
            size="small"
            rowKey={(r, i) => `${r.external_ref}-${i}`}
            dataSource={rows}
            pagination={{ pageSize: 50, hideOnSinglePage: true }}
            data-testid="order-import-rows"
            columns={[
              { title: t('order.externalRef'), dataIndex: 'external_ref', render: (v: string | null) => v || '-' },
              { title: t('order.ref'), dataIndex: 'ref', render: (v: string | null) => v || '-' },
              { title: t('order.status'), dataIndex: 'status', render: (v: string | null, r) => (v ? <OrderStatusTag status={v} /> : <Tag color="red">{r.code}</Tag>) },
              { title: t('cfg.result'), key: 'msg', render: (_, r) => (r.ok ? (r.created ? t('cfg.importNew') : t('cfg.importDup')) : r.message) },
            ]}
          />
        </>
      )}
    </Card>
  );
}
