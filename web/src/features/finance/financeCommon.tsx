// Shared bits of the finance pages: the chart of accounts (hook, names, select), entry status tags,
// source type labels, periods and basis points.
import { useCallback, useEffect, useState } from 'react';
import { Select, Tag } from 'antd';
import dayjs from 'dayjs';
import { api, unwrap } from '../../api/client';
import type { FinAccount } from '../../api/types';
import { optLabel, useI18n, type Lang, type T } from '../../i18n';

export const ENTRY_STATUSES = ['pending', 'posted', 'rejected'] as const;

// The source types the journal is written with: manual entries, the documents that post (a stock
// document posts under its own kind) and the later finance documents.
export const SOURCE_TYPES = [
  'manual',
  'sales_order',
  'receipt',
  'transfer',
  'transfer_order',
  'count',
  'adjustment',
  'supplier_return',
  'supplier_bill',
  'revaluation',
  'payment',
  'settlement',
  'expense',
] as const;

const STATUS_COLORS: Record<string, string> = { pending: 'gold', posted: 'green', rejected: 'red' };

export function EntryStatusTag({ status }: { status: string }) {
  const { t } = useI18n();
  return (
    <Tag color={STATUS_COLORS[status] ?? 'default'} data-testid={`je-status-${status}`}>
      {optLabel(t, 'fin.status', status)}
    </Tag>
  );
}

export function sourceLabel(t: T, source: string): string {
  return optLabel(t, 'fin.source', source);
}

export function kindName(t: T, kind: string): string {
  return optLabel(t, 'fin.kind', kind);
}

/** An account's name in the UI language (the English name when there is one). */
export function accountName(a: { name: string; name_en?: string | null }, lang: Lang): string {
  return lang === 'en-US' && a.name_en ? a.name_en : a.name;
}

/** The chart of accounts (ordered by code); `reload` fetches it again. */
export function useAccounts(): [FinAccount[], () => void] {
  const [accounts, setAccounts] = useState<FinAccount[]>([]);
  const reload = useCallback(() => {
    unwrap(api.GET('/api/v1/finance/accounts')).then(setAccounts).catch(() => setAccounts([]));
  }, []);
  useEffect(reload, [reload]);
  return [accounts, reload];
}

/** A searchable select of accounts ("code name"); `postable` keeps the active leaf accounts only. */
export function AccountSelect({
  accounts,
  value,
  onChange,
  postable,
  testId,
  width,
  allowClear,
  placeholder,
}: {
  accounts: FinAccount[];
  value?: string | null;
  onChange: (code: string | undefined) => void;
  postable?: boolean;
  testId?: string;
  width?: number | string;
  allowClear?: boolean;
  placeholder?: string;
}) {
  const { t, lang } = useI18n();
  const options = accounts
    .filter((a) => !postable || (a.active && a.leaf))
    .map((a) => ({ value: a.code, label: `${a.code} ${accountName(a, lang)}` }));
  return (
    <Select
      showSearch
      allowClear={allowClear}
      value={value ?? undefined}
      placeholder={placeholder ?? t('fin.accountPlaceholder')}
      optionFilterProp="label"
      onChange={(v) => onChange(v ?? undefined)}
      options={options}
      style={{ width: width ?? '100%' }}
      popupMatchSelectWidth={360}
      data-testid={testId}
    />
  );
}

export const currentPeriod = (): string => dayjs().format('YYYY-MM');

/** Basis points shown as a percentage: 1300 → "13%", 650 → "6.5%". */
export function bpToPercent(bp: number | null | undefined): string {
  if (bp === null || bp === undefined) return '-';
  const whole = Math.trunc(bp / 100);
  const frac = String(bp % 100).padStart(2, '0').replace(/0+$/, '');
  return `${whole}${frac ? `.${frac}` : ''}%`;
}

const PERCENT = /^\s*(\d{1,3})(?:\.(\d{0,2}))?\s*%?\s*$/;

/** A percentage typed by a person ("13", "6.5", "9%") as basis points, by string math; null when not one. */
export function percentToBp(input: string): number | null {
  const m = PERCENT.exec(input);
  if (!m) return null;
  const bp = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0') || '0');
  return bp <= 10000 ? bp : null;
}
