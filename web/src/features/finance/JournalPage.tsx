// The journal (凭证): every entry, automatic and manual, newest first with filters; an entry's lines
// in a drawer with approve / reject / reverse; the manual entry form with live debit and credit totals.
import { useEffect, useMemo, useState, type HTMLAttributes } from 'react';
import { Alert, App, Button, Card, DatePicker, Descriptions, Drawer, Input, Modal, Select, Space, Table, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import dayjs, { type Dayjs } from 'dayjs';
import { api, unwrap } from '../../api/client';
import type { FinAccount, JournalEntry, JournalEntryRow, JournalLine } from '../../api/types';
import LoadMore from '../../components/LoadMore';
import { errorText, useCursorList } from '../../components/useCursorList';
import { formatTime } from '../../format';
import { optLabel, useI18n } from '../../i18n';
import { formatCents, parseYuanToCents } from '../../money';
import { AccountSelect, ENTRY_STATUSES, EntryStatusTag, SOURCE_TYPES, sourceLabel, useAccounts } from './financeCommon';

interface FormLine {
  key: number;
  account?: string;
  debit: string;
  credit: string;
  memo: string;
}
let seq = 0;
const newLine = (): FormLine => ({ key: ++seq, debit: '', credit: '', memo: '' });

/** Cents of a typed amount: 0 when empty, null when not an amount ≥ 0 with two decimals at most. */
function amount(text: string): number | null {
  if (!text.trim()) return 0;
  const c = parseYuanToCents(text);
  return c === null || c < 0 ? null : c;
}

function EntryForm({ open, accounts, onClose, onSaved }: { open: boolean; accounts: FinAccount[]; onClose: () => void; onSaved: (e: JournalEntry) => void }) {
  const { t } = useI18n();
  const [date, setDate] = useState<Dayjs | null>(dayjs());
  const [memo, setMemo] = useState('');
  const [lines, setLines] = useState<FormLine[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    if (!open) return;
    setDate(dayjs());
    setMemo('');
    setLines([newLine(), newLine()]);
    setError(null);
  }, [open]);
  const update = (key: number, patch: Partial<FormLine>) => setLines((prev) => prev.map((l) => (l.key === key ? { ...l, ...patch } : l)));
  const totals = useMemo(() => {
    let debit = 0;
    let credit = 0;
    let bad = false;
    for (const l of lines) {
      const d = amount(l.debit);
      const c = amount(l.credit);
      if (d === null || c === null) bad = true;
      debit += d ?? 0;
      credit += c ?? 0;
    }
    return { debit, credit, bad };
  }, [lines]);
  const unbalanced = totals.debit !== totals.credit;
  const submit = async () => {
    setError(null);
    if (!date) {
      setError(t('je.needDate'));
      return;
    }
    const body = [];
    for (const [i, l] of lines.entries()) {
      const d = amount(l.debit);
      const c = amount(l.credit);
      if (!l.account) {
        setError(t('doc.lineInvalid', { n: i + 1, msg: t('je.needAccount') }));
        return;
      }
      if (d === null || c === null) {
        setError(t('doc.lineInvalid', { n: i + 1, msg: t('je.needAmount') }));
        return;
      }
      body.push({ account: l.account, debit_cents: d, credit_cents: c, memo: l.memo.trim() || null });
    }
    setSaving(true);
    try {
      const out = await unwrap(api.POST('/api/v1/finance/entries', { body: { date: date.format('YYYY-MM-DD'), memo: memo.trim() || null, lines: body } }));
      onSaved(out);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setSaving(false);
    }
  };
  return (
    <Modal
      open={open}
      width={920}
      title={t('je.new')}
      onCancel={onClose}
      onOk={submit}
      confirmLoading={saving}
      okText={t('doc.submit')}
      okButtonProps={{ 'data-testid': 'je-save' }}
      destroyOnHidden
    >
      <div data-testid="je-form">
        <Space wrap style={{ marginBottom: 12 }}>
          <span>{t('je.date')}</span>
          <DatePicker value={date} onChange={setDate} allowClear={false} data-testid="je-date" />
          <span>{t('je.memo')}</span>
          <Input value={memo} onChange={(e) => setMemo(e.target.value)} maxLength={200} style={{ width: 360 }} data-testid="je-memo" />
        </Space>
        <Table
          size="small"
          rowKey="key"
          dataSource={lines}
          pagination={false}
          columns={[
            { title: '#', key: 'n', width: 36, render: (_: unknown, _l: FormLine, i: number) => i + 1 },
            {
              title: t('je.account'),
              key: 'account',
              render: (_: unknown, l: FormLine, i: number) => (
                <div style={{ width: 280 }}>
                  <AccountSelect accounts={accounts} postable value={l.account} onChange={(account) => update(l.key, { account })} testId={`je-line-account-${i}`} />
                </div>
              ),
            },
            { title: t('je.debit'), key: 'debit', render: (_: unknown, l: FormLine, i: number) => <Input value={l.debit} status={amount(l.debit) === null ? 'error' : undefined} style={{ width: 120 }} onChange={(e) => update(l.key, { debit: e.target.value })} data-testid={`je-line-debit-${i}`} /> },
            { title: t('je.credit'), key: 'credit', render: (_: unknown, l: FormLine, i: number) => <Input value={l.credit} status={amount(l.credit) === null ? 'error' : undefined} style={{ width: 120 }} onChange={(e) => update(l.key, { credit: e.target.value })} data-testid={`je-line-credit-${i}`} /> },
            { title: t('je.lineMemo'), key: 'memo', render: (_: unknown, l: FormLine, i: number) => <Input value={l.memo} maxLength={200} onChange={(e) => update(l.key, { memo: e.target.value })} data-testid={`je-line-memo-${i}`} /> },
            {
              title: '',
              key: 'x',
              width: 40,
              render: (_: unknown, l: FormLine, i: number) => (
                <Button size="small" type="text" icon={<DeleteOutlined />} disabled={lines.length <= 2} aria-label={t('doc.removeLine')} data-testid={`je-line-remove-${i}`} onClick={() => setLines((p) => p.filter((x) => x.key !== l.key))} />
              ),
            },
          ]}
          summary={() => (
            <Table.Summary.Row>
              <Table.Summary.Cell index={0} colSpan={2}>
                <Typography.Text strong>{t('je.totals')}</Typography.Text>
              </Table.Summary.Cell>
              <Table.Summary.Cell index={2}>
                <span data-testid="je-total-debit">{formatCents(totals.debit)}</span>
              </Table.Summary.Cell>
              <Table.Summary.Cell index={3}>
                <span data-testid="je-total-credit">{formatCents(totals.credit)}</span>
              </Table.Summary.Cell>
              <Table.Summary.Cell index={4} colSpan={2}>
                {unbalanced && (
                  <Typography.Text type="danger" data-testid="je-unbalanced">
                    {t('je.unbalanced', { diff: formatCents(Math.abs(totals.debit - totals.credit)) })}
                  </Typography.Text>
                )}
              </Table.Summary.Cell>
            </Table.Summary.Row>
          )}
        />
        <Button size="small" icon={<PlusOutlined />} style={{ marginTop: 8 }} onClick={() => setLines((p) => [...p, newLine()])} data-testid="je-add-line">
          {t('doc.addLine')}
        </Button>
        {totals.bad && <Alert type="warning" showIcon style={{ marginTop: 12 }} message={t('je.needAmount')} />}
        {error && <Alert type="error" showIcon style={{ marginTop: 12 }} message={error} data-testid="je-form-error" />}
      </div>
    </Modal>
  );
}

function RejectDialog({ open, onClose, onReject }: { open: boolean; onClose: () => void; onReject: (reason: string) => Promise<void> }) {
  const { t } = useI18n();
  const [reason, setReason] = useState('');
  useEffect(() => {
    if (open) setReason('');
  }, [open]);
  return (
    <Modal open={open} title={t('je.reject')} onCancel={onClose} onOk={() => onReject(reason.trim())} okButtonProps={{ danger: true, 'data-testid': 'je-reject-ok' }}>
      <Input.TextArea rows={3} maxLength={100} placeholder={t('je.rejectReason')} value={reason} onChange={(e) => setReason(e.target.value)} data-testid="je-reject-reason" />
    </Modal>
  );
}

export function EntryDrawer({ id, onClose, onChanged, onOpen }: { id: number | null; onClose: () => void; onChanged: () => void; onOpen?: (id: number) => void }) {
  const { t } = useI18n();
  const { message, modal } = App.useApp();
  const [entry, setEntry] = useState<JournalEntry | null>(null);
  const [rejectOpen, setRejectOpen] = useState(false);
  useEffect(() => {
    setEntry(null);
    if (id !== null)
      unwrap(api.GET('/api/v1/finance/entries/{entry_id}', { params: { path: { entry_id: id } } }))
        .then(setEntry)
        .catch((e) => message.error(errorText(e)));
  }, [id, message]);
  const run = async (call: () => Promise<JournalEntry>, done: string) => {
    try {
      const out = await call();
      message.success(done);
      onChanged();
      if (out.id !== entry?.id && onOpen) onOpen(out.id);
      else setEntry(out);
    } catch (e) {
      message.error(errorText(e));
    }
  };
  const approve = () => entry && run(() => unwrap(api.POST('/api/v1/finance/entries/{entry_id}/approve', { params: { path: { entry_id: entry.id } } })), t('je.approved'));
  const reject = async (reason: string) => {
    if (!entry) return;
    await run(() => unwrap(api.POST('/api/v1/finance/entries/{entry_id}/reject', { params: { path: { entry_id: entry.id } }, body: { reason: reason || null } })), t('je.rejected'));
    setRejectOpen(false);
  };
  const reverse = () =>
    entry &&
    modal.confirm({
      title: t('je.reverse'),
      content: t('je.reverseConfirm', { id: entry.id }),
      okButtonProps: { 'data-testid': 'je-reverse-ok' },
      onOk: () => run(() => unwrap(api.POST('/api/v1/finance/entries/{entry_id}/reverse', { params: { path: { entry_id: entry.id } }, body: {} })), t('je.reversed')),
    });
  const debit = entry ? entry.lines.reduce((s, l) => s + l.debit_cents, 0) : 0;
  const credit = entry ? entry.lines.reduce((s, l) => s + l.credit_cents, 0) : 0;
  return (
    <Drawer open={id !== null} width={960} onClose={onClose} title={entry ? t('je.title', { id: entry.id }) : ''} data-testid="je-drawer">
      {entry && (
        <>
          <Space wrap style={{ marginBottom: 12 }}>
            <EntryStatusTag status={entry.status} />
            {entry.status === 'pending' && (
              <>
                <Button size="small" type="primary" onClick={approve} data-testid="je-approve">
                  {t('je.approve')}
                </Button>
                <Button size="small" danger onClick={() => setRejectOpen(true)} data-testid="je-reject">
                  {t('je.reject')}
                </Button>
              </>
            )}
            {entry.status === 'posted' && entry.source_type === 'manual' && !entry.reversed_by && (
              <Button size="small" danger onClick={reverse} data-testid="je-reverse">
                {t('je.reverse')}
              </Button>
            )}
            {entry.reversed_by && <a onClick={() => onOpen?.(entry.reversed_by as number)}>{t('je.reversedBy', { id: entry.reversed_by })}</a>}
            {entry.reverses_id && <a onClick={() => onOpen?.(entry.reverses_id as number)}>{t('je.reverses', { id: entry.reverses_id })}</a>}
          </Space>
          <Descriptions size="small" column={3} bordered>
            <Descriptions.Item label={t('je.date')}>{entry.date}</Descriptions.Item>
            <Descriptions.Item label={t('je.period')}>{entry.period}</Descriptions.Item>
            <Descriptions.Item label={t('je.source')}>{`${sourceLabel(t, entry.source_type)}${entry.source_ref ? ` ${entry.source_ref}` : ''}`}</Descriptions.Item>
            <Descriptions.Item label={t('je.memo')} span={3}>
              {entry.memo ?? '-'}
            </Descriptions.Item>
            <Descriptions.Item label={t('doc.createdBy')}>{`${entry.created_by} · ${formatTime(entry.created_at)}`}</Descriptions.Item>
            <Descriptions.Item label={t('je.approvedBy')}>{entry.approved_by ?? '-'}</Descriptions.Item>
            <Descriptions.Item label={t('je.total')}>{formatCents(entry.total_cents)}</Descriptions.Item>
          </Descriptions>
          <Table
            size="small"
            style={{ marginTop: 12 }}
            rowKey="line_no"
            dataSource={entry.lines}
            pagination={false}
            data-testid="je-lines"
            columns={[
              { title: '#', dataIndex: 'line_no', width: 40 },
              { title: t('je.account'), key: 'account', render: (_: unknown, l: JournalLine) => `${l.account} ${l.account_name}` },
              { title: t('je.debit'), dataIndex: 'debit_cents', align: 'right', render: (v: number) => (v ? formatCents(v) : '') },
              { title: t('je.credit'), dataIndex: 'credit_cents', align: 'right', render: (v: number) => (v ? formatCents(v) : '') },
              { title: t('je.party'), key: 'party', render: (_: unknown, l: JournalLine) => (l.party_type ? `${optLabel(t, 'fin.party', l.party_type)} ${l.party_name ?? `#${l.party_id}`}` : '-') },
              { title: t('je.lineMemo'), dataIndex: 'memo', render: (v: string | null) => v ?? '' },
            ]}
            summary={() => (
              <Table.Summary.Row>
                <Table.Summary.Cell index={0} colSpan={2}>
                  <Typography.Text strong>{t('je.totals')}</Typography.Text>
                </Table.Summary.Cell>
                <Table.Summary.Cell index={2} align="right">
                  <Typography.Text strong>{formatCents(debit)}</Typography.Text>
                </Table.Summary.Cell>
                <Table.Summary.Cell index={3} align="right">
                  <Typography.Text strong>{formatCents(credit)}</Typography.Text>
                </Table.Summary.Cell>
                <Table.Summary.Cell index={4} colSpan={2} />
              </Table.Summary.Row>
            )}
          />
          <RejectDialog open={rejectOpen} onClose={() => setRejectOpen(false)} onReject={reject} />
        </>
      )}
    </Drawer>
  );
}

export default function JournalPage() {
  const { t } = useI18n();
  const [accounts] = useAccounts();
  const [period, setPeriod] = useState<Dayjs | null>(null);
  const [status, setStatus] = useState<string | undefined>();
  const [source, setSource] = useState<string | undefined>();
  const [account, setAccount] = useState<string | undefined>();
  const [q, setQ] = useState('');
  const [formOpen, setFormOpen] = useState(false);
  const [openId, setOpenId] = useState<number | null>(null);
  const periodText = period ? period.format('YYYY-MM') : undefined;
  const list = useCursorList<JournalEntryRow>(
    (cursor) =>
      unwrap(
        api.GET('/api/v1/finance/entries', {
          params: { query: { period: periodText, status: status as 'pending' | 'posted' | 'rejected' | undefined, source_type: source, account, q: q || undefined, cursor } },
        }),
      ),
    [periodText, status, source, account, q],
  );
  const load = () => void list.reload();
  return (
    <Card
      title={<Typography.Text strong>{t('menu.journal')}</Typography.Text>}
      extra={
        <Space>
          <Button icon={<ReloadOutlined />} onClick={load} aria-label={t('common.refresh')} />
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setFormOpen(true)} data-testid="je-new">
            {t('je.new')}
          </Button>
        </Space>
      }
    >
      <Space wrap style={{ marginBottom: 12 }}>
        <DatePicker picker="month" value={period} onChange={setPeriod} placeholder={t('je.period')} data-testid="je-filter-period" />
        <Select
          allowClear
          placeholder={t('je.status')}
          value={status}
          onChange={setStatus}
          style={{ width: 130 }}
          options={ENTRY_STATUSES.map((s) => ({ value: s, label: optLabel(t, 'fin.status', s) }))}
          data-testid="je-filter-status"
        />
        <Select
          allowClear
          placeholder={t('je.source')}
          value={source}
          onChange={setSource}
          style={{ width: 150 }}
          options={SOURCE_TYPES.map((s) => ({ value: s, label: sourceLabel(t, s) }))}
          data-testid="je-filter-source"
        />
        <AccountSelect accounts={accounts} allowClear value={account} onChange={setAccount} width={240} testId="je-filter-account" />
        <Input.Search placeholder={t('je.search')} allowClear onSearch={(v) => setQ(v.trim())} style={{ width: 220 }} data-testid="je-filter-q" />
      </Space>
      <Table
        size="small"
        rowKey="id"
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        data-testid="je-table"
        onRow={(r) => ({ onClick: () => setOpenId(r.id), style: { cursor: 'pointer' }, 'data-testid': `je-row-${r.id}` }) as HTMLAttributes<HTMLElement>}
        columns={[
          { title: t('je.no'), dataIndex: 'id', width: 80, render: (v: number) => <a>{v}</a> },
          { title: t('je.date'), dataIndex: 'date', width: 110 },
          { title: t('je.status'), dataIndex: 'status', width: 90, render: (s: string) => <EntryStatusTag status={s} /> },
          { title: t('je.source'), key: 'source', render: (_: unknown, r: JournalEntryRow) => `${sourceLabel(t, r.source_type)}${r.source_ref ? ` ${r.source_ref}` : ''}` },
          { title: t('je.memo'), dataIndex: 'memo', ellipsis: true, render: (v: string | null) => v ?? '' },
          { title: t('je.total'), dataIndex: 'total_cents', align: 'right', render: formatCents },
          { title: t('doc.createdBy'), dataIndex: 'created_by' },
          { title: t('je.approvedBy'), dataIndex: 'approved_by', render: (v: string | null) => v ?? '-' },
        ]}
      />
      <LoadMore count={list.items.length} hasMore={Boolean(list.next)} loading={list.loading} onLoadMore={list.loadMore} />
      <EntryForm
        open={formOpen}
        accounts={accounts}
        onClose={() => setFormOpen(false)}
        onSaved={(e) => {
          setFormOpen(false);
          load();
          setOpenId(e.id);
        }}
      />
      <EntryDrawer id={openId} onClose={() => setOpenId(null)} onChanged={load} onOpen={setOpenId} />
    </Card>
  );
}
