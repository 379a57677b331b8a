// Shared bits of the purchasing pages: status tags and labels, supplier and PO lookups.
import { useCallback, useEffect, useState } from 'react';
import { Tag } from 'antd';
import { api, unwrap } from '../../api/client';
import type { Supplier } from '../../api/types';
import { optLabel, useI18n } from '../../i18n';

export const PO_STATUSES = ['draft', 'submitted', 'approved', 'sent', 'partially_received', 'received', 'closed', 'cancelled'] as const;

const STATUS_COLORS: Record<string, string> = {
  draft: 'default',
  submitted: 'gold',
  approved: 'blue',
  sent: 'geekblue',
  partially_received: 'cyan',
  received: 'green',
  closed: 'default',
  cancelled: 'red',
};

export function PoStatusTag({ status }: { status: string }) {
  const { t } = useI18n();
  return (
    <Tag color={STATUS_COLORS[status] ?? 'default'} data-testid={`po-status-${status}`}>
      {optLabel(t, 'po.status', status)}
    </Tag>
  );
}

const URGENCY_COLORS: Record<string, string> = { stockout: 'red', critical: 'volcano', reorder: 'orange', ok: 'green' };

export function UrgencyTag({ urgency }: { urgency: string }) {
  const { t } = useI18n();
  return <Tag color={URGENCY_COLORS[urgency] ?? 'default'}>{optLabel(t, 'rp.urgency', urgency)}</Tag>;
}

const BILL_COLORS: Record<string, string> = { matched: 'green', difference: 'orange', approved: 'blue' };

export function BillStatusTag({ status }: { status: string }) {
  const { t } = useI18n();
  return <Tag color={BILL_COLORS[status] ?? 'default'}>{optLabel(t, 'bill.status', status)}</Tag>;
}

/** The supplier list (for selects); `reload` fetches it again. */
export function useSuppliers(): [Supplier[], () => void] {
  const [suppliers, setSuppliers] = useState<Supplier[]>([]);
  const reload = useCallback(() => {
    unwrap(api.GET('/api/v1/purchasing/suppliers')).then(setSuppliers).catch(() => setSuppliers([]));
  }, []);
  useEffect(reload, [reload]);
  return [suppliers, reload];
}
