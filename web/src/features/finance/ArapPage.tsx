// Receivables and payables (往来账): open items of customers (AR) and suppliers (AP) with filters,
// and the dialog that records a receipt or a payment with its allocations to open items.
import { useEffect, useState } from 'react';
import { Alert, App, Button, Card, Checkbox, DatePicker, Input, Modal, Select, Space, Table, Tabs, Tag, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { api, unwrap } from '../../api/client';
import type { OpenItem } from '../../api/types';
import LoadMore from '../../components/LoadMore';
import { errorText, useCursorList } from '../../components/useCursorList';
import { useI18n } from '../../i18n';
import { centsToYuanInput, formatCents, parseYuanToCents } from '../../money';

type Kind = 'ar' | 'ap';

/** Oldest due first, credits first: the same rule as the server's automatic allocation. */
export function autoAllocate(amount: number, items: OpenItem[]): Record<number, number> {
  const order = [...items].sort((a, b) => (a.due_date === b.due_date ? a.id - b.id : a.due_date < b.due_date ? -1 : 1));
  const debits = order.filter((i) => i.open_cents > 0);
  const credits = order.filter((i) => i.open_cents < 0);
  const owed = debits.reduce((s, i) => s + i.open_cents, 0);
  const credit = -credits.reduce((s, i) => s + i.open_cents, 0);
  const reach = Math.min(owed, credit + amount);
  const out: Record<number, number> = {};
  let left = reach;
  for (const i of debits) {
    if (left <= 0) break;
    out[i.id] = Math.min(i.open_cents, left);
    left -= out[i.id];
  }
  left = Math.min(credit, reach);
  for (const i of credits) {
    if (left <= 0) break;
    out[i.id] = Math.min(-i.open_cents, left);
    left -= out[i.id];
  }
  return out;
}

function PaymentDialog({ kind, open, party: initialParty, onClose, onSaved }: { kind: Kind; open: boolean; party: string; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const [party, setParty] = useState('');
  const [amount, setAmount] = useState('');
  const [ref, setRef] = useState('');
  const [date, setDate] = useState(dayjs());
  const [account, setAccount] = useState('');
  const [memo, setMemo] = useState('');
  const [items, setItems] = useState<OpenItem[]>([]);
  const [alloc, setAlloc] = useState<Record<number, string>>({});
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!open) return;
    setParty(initialParty);
    setAmount('');
    setRef('');
    setMemo('');
    setAccount('');
    setItems([]);
    setAlloc({});
    setError(null);
  }, [open, initialParty]);
  const load = async () => {
    setError(null);
    try {
      const page = await unwrap(api.GET('/api/v1/finance/open-items', { params: { query: { kind, party: party.trim(), status: 'open', limit: 500 } } }));
      setItems(page.items);
      setAlloc({});
    } catch (e) {
      setError(errorText(e));
    }
  };
  const auto = () => {
    const cents = parseYuanToCents(amount) ?? 0;
    const out = autoAllocate(cents, items);
    setAlloc(Object.fromEntries(Object.entries(out).map(([k, v]) => [k, centsToYuanInput(v)])));
  };
  const save = async () => {
    const cents = parseYuanToCents(amount);
    if (cents === null || cents <= 0) {
      setError(t('arap.badAmount'));
      return;
    }
    const allocations = [];
    for (const [id, v] of Object.entries(alloc)) {
      if (!v.trim()) continue;
      const c = parseYuanToCents(v);
      if (c === null || c <= 0) {
        setError(t('arap.badAmount'));
        return;
      }
      allocations.push({ open_item_id: Number(id), amount_cents: c });
    }
    const body = { party: party.trim(), amount_cents: cents, date: date.format('YYYY-MM-DD'), ref: ref.trim(), account: account.trim() || null, memo: memo.trim() || null, allocations };
    try {
      await unwrap(kind === 'ar' ? api.POST('/api/v1/finance/receipts', { body }) : api.POST('/api/v1/finance/payments', { body }));
      onSaved();
      onClose();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <Modal open={open} width={820} title={t(kind === 'ar' ? 'arap.newReceipt' : 'arap.newPayment')} onCancel={onClose} onOk={save} okButtonProps={{ disabled: !party.trim() || !ref.trim() || !amount.trim(), 'data-testid': 'payment-save' } as never}>
      <Space wrap style={{ marginBottom: 12 }}>
        <Input data-testid="payment-party" placeholder={t(kind === 'ar' ? 'arap.customer' : 'arap.supplier')} value={party} onChange={(e) => setParty(e.target.value)} onPressEnter={load} style={{ width: 160 }} />
        <Button onClick={load} data-testid="payment-load">{t('arap.loadItems')}</Button>
        <Input data-testid="payment-amount" placeholder={t('arap.amount')} value={amount} onChange={(e) => setAmount(e.target.value)} style={{ width: 130 }} />
        <Input data-testid="payment-ref" placeholder={t('arap.ref')} value={ref} onChange={(e) => setRef(e.target.value)} style={{ width: 150 }} />
        <DatePicker value={date} onChange={(d) => d && setDate(d)} allowClear={false} />
        <Input placeholder={t('arap.account')} value={account} onChange={(e) => setAccount(e.target.value)} style={{ width: 140 }} />
        <Input placeholder={t('arap.memo')} value={memo} onChange={(e) => setMemo(e.target.value)} style={{ width: 200 }} />
        <Button onClick={auto} disabled={!items.length} data-testid="payment-auto">{t('arap.autoAllocate')}</Button>
      </Space>
      <Table
        size="small"
        rowKey="id"
        dataSource={items}
        pagination={false}
        columns={[
          { title: t('arap.ref'), dataIndex: 'ref' },
          { title: t('arap.dueDate'), dataIndex: 'due_date' },
          { title: t('arap.amount'), dataIndex: 'amount_cents', align: 'right', render: formatCents },
          { title: t('arap.open'), dataIndex: 'open_cents', align: 'right', render: formatCents },
          { title: t('arap.allocate'), key: 'a', render: (_: unknown, i: OpenItem) => <Input value={alloc[i.id] ?? ''} style={{ width: 120 }} onChange={(e) => setAlloc((p) => ({ ...p, [i.id]: e.target.value }))} /> },
        ]}
      />
      <Typography.Text type="secondary">{t('arap.advanceHint')}</Typography.Text>
      {error && <Alert type="error" showIcon message={error} style={{ marginTop: 12 }} />}
    </Modal>
  );
}

function ItemsTab({ kind }: { kind: Kind }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [party, setParty] = useState('');
  const [status, setStatus] = useState<'open' | 'settled' | ''>('open');
  const [overdue, setOverdue] = useState(false);
  const [dialog, setDialog] = useState(false);
  const list = useCursorList<OpenItem>(
    (cursor) => unwrap(api.GET('/api/v1/finance/open-items', { params: { query: { kind, cursor, party: party.trim() || undefined, status: status || undefined, overdue } } })),
    [kind, status, overdue],
  );
  const scan = async () => {
    try {
      const r = await unwrap(api.POST('/api/v1/finance/reminders/scan'));
      message.success(t('arap.scanned', { before: r.before_due, overdue: r.overdue }));
    } catch (e) {
      message.error(errorText(e));
    }
  };
  return (
    <>
      <Space wrap style={{ marginBottom: 12 }}>
        <Input.Search data-testid={`arap-party-${kind}`} allowClear placeholder={t(kind === 'ar' ? 'arap.customer' : 'arap.supplier')} value={party} onChange={(e) => setParty(e.target.value)} onSearch={() => void list.reload()} style={{ width: 200 }} />
        <Select value={status} style={{ width: 120 }} onChange={setStatus} options={[{ value: 'open', label: t('arap.status.open') }, { value: 'settled', label: t('arap.status.settled') }, { value: '', label: t('arap.all') }]} />
        <Checkbox checked={overdue} onChange={(e) => setOverdue(e.target.checked)}>{t('arap.overdueOnly')}</Checkbox>
        <Button type="primary" icon={<PlusOutlined />} data-testid={`arap-new-${kind}`} onClick={() => setDialog(true)}>
          {t(kind === 'ar' ? 'arap.newReceipt' : 'arap.newPayment')}
        </Button>
        <Button onClick={scan}>{t('arap.scan')}</Button>
      </Space>
      <Table
        size="small"
        rowKey="id"
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        columns={[
          { title: t('arap.ref'), dataIndex: 'ref' },
          { title: t(kind === 'ar' ? 'arap.customer' : 'arap.supplier'), key: 'p', render: (_: unknown, i: OpenItem) => `${i.party_code} ${i.party_name}` },
          { title: t('arap.docDate'), dataIndex: 'doc_date' },
          { title: t('arap.dueDate'), dataIndex: 'due_date' },
          { title: t('arap.amount'), dataIndex: 'amount_cents', align: 'right', render: formatCents },
          { title: t('arap.settled'), dataIndex: 'settled_cents', align: 'right', render: formatCents },
          { title: t('arap.open'), dataIndex: 'open_cents', align: 'right', render: formatCents },
          { title: t('arap.statusCol'), key: 's', render: (_: unknown, i: OpenItem) => (i.status === 'settled' ? <Tag color="green">{t('arap.status.settled')}</Tag> : i.days_overdue > 0 ? <Tag color="red">{t('arap.overdueDays', { n: i.days_overdue })}</Tag> : <Tag color="blue">{t('arap.status.open')}</Tag>) },
        ]}
      />
      <LoadMore count={list.items.length} hasMore={Boolean(list.next)} loading={list.loading} onLoadMore={list.loadMore} />
      <PaymentDialog kind={kind} open={dialog} party={party.trim()} onClose={() => setDialog(false)} onSaved={() => void list.reload()} />
    </>
  );
}

export default function ArapPage() {
  const { t } = useI18n();
  const initial = new URLSearchParams(window.location.search).get('kind') === 'ap' ? 'ap' : 'ar';
  return (
    <Card title={<Typography.Text strong>{t('menu.arap')}</Typography.Text>}>
      <Tabs defaultActiveKey={initial} destroyInactiveTabPane items={[{ key: 'ar', label: t('arap.ar'), children: <ItemsTab kind="ar" /> }, { key: 'ap', label: t('arap.ap'), children: <ItemsTab kind="ap" /> }]} />
    </Card>
  );
}
