// Shared bits of the order pool: states and their colours, hold reasons, payment methods, the 34
// provinces, and the timeline told in words.
import { useEffect, useState } from 'react';
import { Space, Tag } from 'antd';
import { api, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import type { OrderReason, OrderTimelineEntry } from '../../api/types';
import { optLabel, useI18n, type Lang, type MsgKey, type T } from '../../i18n';
import { formatCents } from '../../money';

export const ORDER_STATUSES = [
  'pending_payment',
  'paid',
  'on_hold',
  'ready',
  'allocated',
  'shipped',
  'completed',
  'cancelled',
  'closed',
  'merged',
  'rejected',
] as const;

/** The pool's tabs and the states each shows ('' = all). */
export const ORDER_TABS: Record<string, readonly string[]> = {
  all: [],
  pending_payment: ['pending_payment', 'paid'],
  on_hold: ['on_hold'],
  ready: ['ready'],
  allocated: ['allocated'],
  shipped: ['shipped'],
  completed: ['completed'],
  closed: ['cancelled', 'closed', 'merged', 'rejected'],
};
export type OrderTab = keyof typeof ORDER_TABS;

const STATUS_COLORS: Record<string, string> = {
  pending_payment: 'gold',
  paid: 'cyan',
  on_hold: 'red',
  ready: 'blue',
  allocated: 'geekblue',
  shipped: 'purple',
  completed: 'green',
  cancelled: 'default',
  closed: 'default',
  merged: 'default',
  rejected: 'volcano',
};

export const UNSHIPPED = ['pending_payment', 'paid', 'on_hold', 'ready', 'allocated'];

export function statusLabel(t: T, status: string | null | undefined): string {
  return optLabel(t, 'order.status', status);
}

export function OrderStatusTag({ status }: { status: string }) {
  const { t } = useI18n();
  return (
    <Tag color={STATUS_COLORS[status] ?? 'default'} data-testid="order-status" data-status={status}>
      {statusLabel(t, status)}
    </Tag>
  );
}

export function reasonText(lang: Lang, r: { en?: string; zh?: string; code?: string }): string {
  return (lang === 'en-US' ? r.en : r.zh) || r.code || '';
}

/** Hold reasons as red tags (the exception queue's main column). */
export function HoldReasons({ reasons }: { reasons: OrderReason[] | null | undefined }) {
  const { lang } = useI18n();
  if (!reasons || reasons.length === 0) return null;
  return (
    <Space size={[2, 2]} wrap>
      {reasons.map((r, i) => (
        <Tag key={`${r.code}-${i}`} color="red" style={{ whiteSpace: 'normal' }} data-testid="order-hold-reason" data-code={r.code}>
          {reasonText(lang, r)}
        </Tag>
      ))}
    </Space>
  );
}

export const PAY_METHODS = ['wechat_pay', 'alipay', 'bank_card', 'balance', 'points', 'coupon'] as const;

export function payMethodOptions(t: T) {
  return PAY_METHODS.map((m) => ({ value: m, label: t(`order.pay.${m}`) }));
}

/** The 34 provincial-level divisions, in the national standard's order. */
export const PROVINCES = [
  '北京市', '天津市', '河北省', '山西省', '内蒙古自治区', '辽宁省', '吉林省', '黑龙江省', '上海市', '江苏省', '浙江省',
  '安徽省', '福建省', '江西省', '山东省', '河南省', '湖北省', '湖南省', '广东省', '广西壮族自治区', '海南省', '重庆市',
  '四川省', '贵州省', '云南省', '西藏自治区', '陕西省', '甘肃省', '青海省', '宁夏回族自治区', '新疆维吾尔自治区', '台湾省',
  '香港特别行政区', '澳门特别行政区',
];

export const provinceOptions = PROVINCES.map((p) => ({ value: p, label: p }));

type Dict = Record<string, unknown>;

/** The columns an edit of an order writes to its audit entry, and their names. */
const EDIT_FIELDS: Record<string, MsgKey> = {
  receiver_name: 'order.receiver',
  receiver_phone: 'order.receiverPhone',
  province: 'order.province',
  city: 'order.city',
  district: 'order.district',
  address_detail: 'order.detailAddress',
  seller_memo: 'order.sellerMemo',
  tags: 'order.tags',
  ship_after: 'order.shipAfter',
  lines: 'order.lines',
  total_cents: 'order.payable',
};

const asDict = (v: unknown): Dict => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Dict) : {});
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

/** One audit entry of an order in words: 状态 待分配 → 已分配，仓库 SH，规则 … */
export function describeTimeline(t: T, lang: Lang, e: OrderTimelineEntry): string {
  const before = asDict(e.before);
  const after = asDict(e.after);
  const action = e.action.replace(/^orders\.order\./, '');
  const parts: string[] = [];
  if (action === 'create') {
    parts.push(t('order.tl.create'));
    if (after.status) parts.push(statusLabel(t, str(after.status)));
    const from = asList(after.merged_from).map(str);
    if (from.length) parts.push(t('order.tl.mergedFrom', { refs: from.join(', ') }));
    if (typeof after.total_cents === 'number') parts.push(`${t('order.payable')} ${formatCents(after.total_cents)}`);
  } else if (action === 'payment') {
    parts.push(t('order.tl.payment', { method: optLabel(t, 'order.pay', str(after.method)), amount: formatCents(after.amount_cents as number) }));
  } else if (action === 'edit') {
    const fields = Object.keys(after)
      .filter((k) => k in EDIT_FIELDS && fmtValue(before[k], k) !== fmtValue(after[k], k))
      .map((k) => `${t(EDIT_FIELDS[k])}: ${fmtValue(before[k], k)} → ${fmtValue(after[k], k)}`);
    parts.push(t('order.tl.edit', { fields: fields.join('; ') }));
  } else if (action === 'split') {
    parts.push(t('order.tl.split', { refs: asList(after.into).map(str).join(', ') }));
  } else if (action === 'return') {
    parts.push(t('order.tl.return'));
  } else if (after.status) {
    parts.push(t('order.tl.status', { from: statusLabel(t, str(before.status) || null), to: statusLabel(t, str(after.status)) }));
  } else {
    parts.push(e.action);
  }
  if (action !== 'create' && action !== 'edit') {
    if (after.warehouse) parts.push(t('order.tl.warehouse', { warehouse: str(after.warehouse) }));
    const rule = asDict(after.rule);
    if (rule.kind) parts.push(t('order.tl.rule', { rule: reasonText(lang, { en: str(rule.en), zh: str(rule.zh), code: str(rule.kind) }) }));
    const reasons = asList(after.reasons).map((r) => reasonText(lang, asDict(r) as { en?: string; zh?: string; code?: string }));
    if (reasons.length) parts.push(t('order.tl.reasons', { reasons: reasons.join('；') }));
    if (after.reason) parts.push(t('order.tl.reason', { reason: after.reason === 'unmerged' ? t('order.tl.unmerged') : str(after.reason) }));
    if (after.into) parts.push(t('order.tl.mergedInto', { ref: str(after.into) }));
    if (typeof after.paid_cents === 'number') parts.push(t('order.tl.paid', { amount: formatCents(after.paid_cents) }));
    if (after.released) parts.push(t('order.tl.released'));
    if (after.reroute) parts.push(t('order.tl.reroute'));
    if (after.unmerged_from) parts.push(`${t('order.tl.unmerged')} ${str(after.unmerged_from)}`);
  }
  return parts.join('，');
}

function fmtValue(v: unknown, key?: string): string {
  if (v === null || v === undefined || v === '') return '-';
  if (key === 'total_cents' && typeof v === 'number') return formatCents(v);
  // An order's lines: [[sku, qty], ...] → "SKU×2, SKU×1"
  if (key === 'lines' && Array.isArray(v)) return v.map((x) => (Array.isArray(x) ? `${str(x[0])}×${str(x[1])}` : str(x))).join(', ') || '-';
  if (Array.isArray(v)) return v.map(str).join(', ') || '-';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** The channels of the pool (for selects). */
export function useChannels(): components['schemas']['ChannelOut'][] {
  const [channels, setChannels] = useState<components['schemas']['ChannelOut'][]>([]);
  useEffect(() => {
    unwrap(api.GET('/api/v1/orders/channels')).then(setChannels).catch(() => setChannels([]));
  }, []);
  return channels;
}

