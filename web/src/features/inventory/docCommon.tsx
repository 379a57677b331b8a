// Shared bits of the stock-document screens: kind/status tags, reason labels, the ±qty cell.
import { useEffect, useState } from 'react';
import { Tag, Typography } from 'antd';
import { api, unwrap } from '../../api/client';
import type { AdjustmentReason, DocumentRow } from '../../api/types';
import { optLabel, useI18n, type T } from '../../i18n';
import { formatQty } from '../../money';

export const DOC_KINDS = ['receipt', 'transfer', 'count', 'adjustment'] as const;
export type DocKind = (typeof DOC_KINDS)[number];

export function isDocKind(v: string | null | undefined): v is DocKind {
  return Boolean(v) && (DOC_KINDS as readonly string[]).includes(v as string);
}

const KIND_COLORS: Record<string, string> = { receipt: 'green', transfer: 'blue', count: 'purple', adjustment: 'orange' };

export function DocKindTag({ kind }: { kind: string }) {
  const { t } = useI18n();
  return (
    <Tag color={KIND_COLORS[kind]} data-testid="doc-kind">
      {optLabel(t, 'doc.kind', kind)}
    </Tag>
  );
}

export function DocStatusTag({ status }: { status: string }) {
  const { t } = useI18n();
  return (
    <Tag color={status === 'rejected' ? 'red' : status === 'done' ? 'green' : undefined} data-testid="doc-status">
      {optLabel(t, 'doc.status', status)}
    </Tag>
  );
}

export function QtyCell({ qty, testId }: { qty: number; testId?: string }) {
  return (
    <Typography.Text style={{ color: qty > 0 ? '#389e0d' : qty < 0 ? '#cf1322' : undefined }} data-testid={testId}>
      {qty > 0 ? `+${formatQty(qty)}` : formatQty(qty)}
    </Typography.Text>
  );
}

/** Adjustment reasons from the API (once per page), for labels and the adjustment form. */
export function useAdjustmentReasons(): AdjustmentReason[] {
  const [reasons, setReasons] = useState<AdjustmentReason[]>([]);
  useEffect(() => {
    unwrap(api.GET('/api/v1/inventory/adjustment-reasons'))
      .then((rows) =>
        setReasons(
          rows.map((r) => ({ code: String(r.code ?? ''), zh: String(r.zh ?? r.code ?? ''), en: String(r.en ?? r.code ?? '') })),
        ),
      )
      .catch(() => setReasons([]));
  }, []);
  return reasons;
}

export function reasonText(t: T, lang: string, reasons: AdjustmentReason[], doc: Pick<DocumentRow, 'reason'>): string {
  if (!doc.reason) return '-';
  const r = reasons.find((x) => x.code === doc.reason);
  if (r) return lang === 'zh-CN' ? r.zh : r.en;
  return optLabel(t, 'doc.reason', doc.reason);
}

/** qty × unit cost in integer cents, computed with BigInt (no float rounding). */
export function lineAmount(qty: number, unitCostCents: number | null | undefined): bigint | null {
  if (unitCostCents === null || unitCostCents === undefined) return null;
  return BigInt(qty) * BigInt(unitCostCents);
}
