// 退货给供应商: from a received (or partly received) purchase order, the quantities of its received
// lines to send back — the batch for batch-tracked SKUs, the serial numbers for serial-tracked
// ones — and a reason. Stock leaves at its cost; the API's problem (more than received, an
// unknown serial …) is shown in the dialog.
import { useEffect, useMemo, useState } from 'react';
import { Alert, Input, InputNumber, Modal, Select, Table, Typography } from 'antd';
import { api, unwrap } from '../../api/client';
import type { PurchaseOrder, PurchaseReceipt } from '../../api/types';
import { errorText } from '../../components/useCursorList';
import { useI18n } from '../../i18n';
import { formatQty } from '../../money';

interface Row {
  line_no: number;
  sku: string;
  tracking: string;
  received: number;
  lots: string[];
  serials: string[];
}

interface Pick {
  qty: number | null;
  lot?: string;
  serials: string[];
}

export default function SupplierReturnDialog({
  po,
  receipts,
  open,
  onClose,
  onDone,
}: {
  po: PurchaseOrder;
  receipts: PurchaseReceipt[];
  open: boolean;
  onClose: () => void;
  onDone: (ref: string) => void;
}) {
  const { t } = useI18n();
  const [picks, setPicks] = useState<Record<number, Pick>>({});
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const rows: Row[] = useMemo(() => {
    const received = receipts.flatMap((r) => r.lines);
    return po.lines
      .filter((l) => l.received > 0)
      .map((l) => {
        const of = received.filter((x) => x.order_line_no === l.line_no);
        return {
          line_no: l.line_no,
          sku: l.sku,
          tracking: l.tracking,
          received: l.received,
          lots: [...new Set(of.map((x) => x.lot_no).filter((x): x is string => !!x))],
          serials: [...new Set(of.flatMap((x) => x.serials ?? []))],
        };
      });
  }, [po, receipts]);
  useEffect(() => {
    if (!open) return;
    setPicks(Object.fromEntries(rows.map((r) => [r.line_no, { qty: null, lot: r.lots.length === 1 ? r.lots[0] : undefined, serials: [] }])));
    setReason('');
    setError(null);
  }, [open, rows]);
  const update = (line: number, patch: Partial<Pick>) => setPicks((p) => ({ ...p, [line]: { ...p[line], ...patch } }));

  const submit = async () => {
    setError(null);
    const lines = [];
    for (const [i, r] of rows.entries()) {
      const p = picks[r.line_no];
      if (!p || !p.qty) continue;
      if (r.tracking === 'batch' && !p.lot) {
        setError(t('ret.needLot', { n: i + 1 }));
        return;
      }
      if (r.tracking === 'serial' && p.serials.length !== p.qty) {
        setError(t('ret.serialCount', { n: i + 1, qty: p.qty, count: p.serials.length }));
        return;
      }
      lines.push({ sku: r.sku, qty: p.qty, lot_no: r.tracking === 'batch' ? p.lot : null, serials: r.tracking === 'serial' ? p.serials : [] });
    }
    if (!lines.length) {
      setError(t('ret.nothing'));
      return;
    }
    setSaving(true);
    try {
      const out = await unwrap(
        api.POST('/api/v1/purchasing/returns', {
          body: { supplier: po.supplier, warehouse: po.warehouse, order_id: po.id, reason: reason.trim() || null, lines },
        }),
      );
      onDone(out.ref);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      open={open}
      width={860}
      title={t('ret.title', { ref: po.ref })}
      onCancel={onClose}
      onOk={submit}
      confirmLoading={saving}
      okButtonProps={{ danger: true, 'data-testid': 'ret-submit' }}
      destroyOnClose
    >
      <Typography.Paragraph type="secondary">{`${po.supplier} ${po.supplier_name} · ${po.warehouse}`}</Typography.Paragraph>
      <Table
        size="small"
        rowKey="line_no"
        dataSource={rows}
        pagination={false}
        data-testid="ret-lines"
        columns={[
          { title: '#', dataIndex: 'line_no' },
          { title: 'SKU', dataIndex: 'sku' },
          { title: t('ret.received'), dataIndex: 'received', align: 'right', render: formatQty },
          {
            title: t('ret.qty'),
            key: 'qty',
            render: (_: unknown, r: Row) => (
              <InputNumber min={0} precision={0} value={picks[r.line_no]?.qty ?? null} onChange={(v) => update(r.line_no, { qty: v })} data-testid={`ret-qty-${r.line_no}`} />
            ),
          },
          {
            title: t('rc.tracking'),
            key: 'tracking',
            render: (_: unknown, r: Row) => {
              if (r.tracking === 'batch')
                return (
                  <Select
                    style={{ width: 160 }}
                    value={picks[r.line_no]?.lot}
                    placeholder={t('po.lot')}
                    onChange={(lot: string) => update(r.line_no, { lot })}
                    options={r.lots.map((x) => ({ value: x, label: x }))}
                    data-testid={`ret-lot-${r.line_no}`}
                  />
                );
              if (r.tracking === 'serial')
                return (
                  <Select
                    mode="tags"
                    style={{ width: 280 }}
                    value={picks[r.line_no]?.serials ?? []}
                    placeholder={t('ret.serialsPlaceholder')}
                    onChange={(serials: string[]) => update(r.line_no, { serials: serials.map((s) => s.trim()).filter(Boolean) })}
                    options={r.serials.map((x) => ({ value: x, label: x }))}
                    tokenSeparators={[',', ' ']}
                    data-testid={`ret-serials-${r.line_no}`}
                  />
                );
              return '-';
            },
          },
        ]}
      />
      <Input
        style={{ marginTop: 12 }}
        addonBefore={t('ret.reason')}
        placeholder={t('ret.reasonPlaceholder')}
        maxLength={200}
        value={reason}
        onChange={(e) => setReason(e.target.value)}
        data-testid="ret-reason"
      />
      {error && <Alert type="error" showIcon style={{ marginTop: 12 }} message={error} data-testid="ret-error" />}
    </Modal>
  );
}
