// Expenses (费用): paid at once and posted Dr the expense account, Cr the account paid from.
import { useEffect, useState } from 'react';
import { Alert, Button, Card, DatePicker, Input, Modal, Select, Space, Table, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { api, unwrap } from '../../api/client';
import type { Expense, ExpenseAccounts } from '../../api/types';
import LoadMore from '../../components/LoadMore';
import { errorText, useCursorList } from '../../components/useCursorList';
import { useI18n } from '../../i18n';
import { formatCents, parseYuanToCents } from '../../money';

function ExpenseDialog({ open, onClose, onSaved }: { open: boolean; onClose: () => void; onSaved: () => void }) {
  const { t, lang } = useI18n();
  const [accounts, setAccounts] = useState<ExpenseAccounts>({ expense: [], money: [] });
  const [date, setDate] = useState(dayjs());
  const [account, setAccount] = useState<string>();
  const [paidFrom, setPaidFrom] = useState<string>('1002');
  const [amount, setAmount] = useState('');
  const [memo, setMemo] = useState('');
  const [supplier, setSupplier] = useState('');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!open) return;
    setAmount('');
    setMemo('');
    setSupplier('');
    setError(null);
    unwrap(api.GET('/api/v1/finance/expense-accounts')).then(setAccounts).catch((e) => setError(errorText(e)));
  }, [open]);
  const label = (a: { code: string; name: string; name_en: string }) => `${a.code} ${lang === 'en-US' ? a.name_en : a.name}`;
  const save = async () => {
    const cents = parseYuanToCents(amount);
    if (cents === null || cents <= 0 || !account) {
      setError(t('arap.badAmount'));
      return;
    }
    try {
      await unwrap(api.POST('/api/v1/finance/expenses', { body: { date: date.format('YYYY-MM-DD'), account, amount_cents: cents, paid_from: paidFrom, memo: memo.trim() || null, supplier: supplier.trim() || null } }));
      onSaved();
      onClose();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <Modal open={open} title={t('exp.new')} onCancel={onClose} onOk={save}>
      <Space direction="vertical" style={{ width: '100%' }}>
        <DatePicker value={date} allowClear={false} onChange={(d) => d && setDate(d)} />
        <Select showSearch placeholder={t('exp.account')} value={account} onChange={setAccount} style={{ width: '100%' }} optionFilterProp="label" options={accounts.expense.map((a) => ({ value: a.code, label: label(a) }))} />
        <Input placeholder={t('arap.amount')} value={amount} onChange={(e) => setAmount(e.target.value)} />
        <Select showSearch value={paidFrom} onChange={setPaidFrom} style={{ width: '100%' }} optionFilterProp="label" options={accounts.money.map((a) => ({ value: a.code, label: label(a) }))} />
        <Input placeholder={t('arap.supplier')} value={supplier} onChange={(e) => setSupplier(e.target.value)} />
        <Input placeholder={t('arap.memo')} value={memo} onChange={(e) => setMemo(e.target.value)} />
        {error && <Alert type="error" showIcon message={error} />}
      </Space>
    </Modal>
  );
}

export default function ExpensesPage() {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const list = useCursorList<Expense>((cursor) => unwrap(api.GET('/api/v1/finance/expenses', { params: { query: { cursor } } })), []);
  return (
    <Card
      title={<Typography.Text strong>{t('menu.expenses')}</Typography.Text>}
      extra={
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setOpen(true)}>
          {t('exp.new')}
        </Button>
      }
    >
      <Table
        size="small"
        rowKey="id"
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        columns={[
          { title: t('arap.docDate'), dataIndex: 'date' },
          { title: t('exp.account'), key: 'a', render: (_: unknown, e: Expense) => `${e.account} ${e.account_name}` },
          { title: t('arap.amount'), dataIndex: 'amount_cents', align: 'right', render: formatCents },
          { title: t('exp.paidFrom'), key: 'p', render: (_: unknown, e: Expense) => `${e.paid_from} ${e.paid_from_name}` },
          { title: t('arap.supplier'), dataIndex: 'supplier_name', render: (v: string | null) => v ?? '-' },
          { title: t('arap.memo'), dataIndex: 'memo', render: (v: string | null) => v ?? '-' },
          { title: t('exp.entry'), dataIndex: 'entry_id', render: (v: number | null) => v ?? '-' },
          { title: t('exp.createdBy'), dataIndex: 'created_by' },
        ]}
      />
      <LoadMore count={list.items.length} hasMore={Boolean(list.next)} loading={list.loading} onLoadMore={list.loadMore} />
      <ExpenseDialog open={open} onClose={() => setOpen(false)} onSaved={() => void list.reload()} />
    </Card>
  );
}
