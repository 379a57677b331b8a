// Channel settlement reconciliation (对账工作台): import a provider's statement, see its rows by
// status with totals, resolve the exceptions (accept the difference, link an order, ignore), the
// exception queue across statements, shipped-not-settled orders and one order's money at a glance.
import { useCallback, useEffect, useState } from 'react';
import { Alert, App, Button, Card, Checkbox, Descriptions, Drawer, Input, Modal, Radio, Select, Space, Statistic, Table, Tabs, Tag, Typography, Upload } from 'antd';
import { UploadOutlined } from '@ant-design/icons';
import { ApiError, api, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import LoadMore from '../../components/LoadMore';
import { errorText, useCursorList } from '../../components/useCursorList';
import { optLabel, useI18n } from '../../i18n';
import { formatCents } from '../../money';
import { useChannels } from '../orders/orderCommon';
import { fileBody } from '../catalog/catalogCommon';

type S = components['schemas'];
type Statement = S['StatementOut'];
type StatementRow = S['StatementRowOut'];
type Row = S['RowOut'];
type Template = S['TemplateOut'];
type OrderMoney = S['OrderMoneyDetail'];
interface RowError {
  row_no: number;
  column: string;
  code: string;
  message_en: string;
  message_zh: string;
}

const BASE = '/api/v1/finance/reconciliation';
const STATUSES = ['matched', 'amount_mismatch', 'no_order', 'duplicate', 'fee', 'channel_fee', 'payout', 'other'];
const STATUS_COLOR: Record<string, string> = { matched: 'green', amount_mismatch: 'red', no_order: 'orange', duplicate: 'purple', fee: 'blue', channel_fee: 'blue', payout: 'cyan', other: 'gold' };
const MONEY_COLOR: Record<string, string> = { settled: 'green', partly: 'gold', unsettled: 'default', mismatch: 'red' };

function StatusTag({ status }: { status: string }) {
  const { t } = useI18n();
  return <Tag color={STATUS_COLOR[status]}>{optLabel(t, 'recon.status', status)}</Tag>;
}

function ImportDialog({ open, onClose, onDone, channel }: { open: boolean; onClose: () => void; onDone: (s: Statement) => void; channel?: string }) {
  const { t, lang } = useI18n();
  const channels = useChannels();
  const [templates, setTemplates] = useState<Template[]>([]);
  const [source, setSource] = useState('wechat_pay');
  const [ch, setCh] = useState<string | undefined>(channel);
  const [file, setFile] = useState<File | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [rowErrors, setRowErrors] = useState<RowError[]>([]);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!open) return;
    setFile(null);
    setError(null);
    setRowErrors([]);
    setCh(channel);
    unwrap(api.GET(`${BASE}/templates`)).then(setTemplates).catch(() => setTemplates([]));
  }, [open, channel]);
  const submit = async () => {
    if (!file || !ch) return;
    setBusy(true);
    setError(null);
    setRowErrors([]);
    try {
      const { body, bodySerializer } = fileBody(file, file.name);
      const out = await unwrap(
        api.POST(`${BASE}/statements`, {
          body: { ...body, channel: ch, source },
          bodySerializer: () => {
            const fd = bodySerializer();
            fd.append('channel', ch);
            fd.append('source', source);
            return fd;
          },
        }),
      );
      onDone(out);
      onClose();
    } catch (e) {
      setError(errorText(e));
      if (e instanceof ApiError && Array.isArray(e.problem.errors)) setRowErrors(e.problem.errors as RowError[]);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal open={open} width={760} title={t('recon.import')} onCancel={onClose} onOk={submit} confirmLoading={busy} okButtonProps={{ disabled: !file || !ch, 'data-testid': 'recon-import-ok' } as never}>
      <Space direction="vertical" style={{ width: '100%' }}>
        <Space wrap>
          <Select
            data-testid="recon-import-channel"
            placeholder={t('recon.channel')}
            style={{ width: 200 }}
            value={ch}
            onChange={setCh}
            options={channels.map((c) => ({ value: c.code, label: `${c.name} (${c.code})` }))}
          />
          <Select
            data-testid="recon-import-source"
            style={{ width: 240 }}
            value={source}
            onChange={setSource}
            options={templates.map((x) => ({ value: x.name, label: lang === 'en-US' ? x.title_en : x.title_zh }))}
          />
          <Upload
            accept=".csv,.xlsx,.txt"
            maxCount={1}
            beforeUpload={(f) => {
              setFile(f);
              return false;
            }}
            onRemove={() => setFile(null)}
            fileList={file ? [{ uid: '1', name: file.name, status: 'done' }] : []}
          >
            <Button icon={<UploadOutlined />} data-testid="recon-import-file">
              {t('recon.chooseFile')}
            </Button>
          </Upload>
        </Space>
        <Typography.Text type="secondary">{t('recon.importHint')}</Typography.Text>
        {error && <Alert type="error" showIcon message={error} data-testid="recon-import-error" />}
        {rowErrors.length > 0 && (
          <Table
            size="small"
            rowKey={(r) => `${r.row_no}-${r.column}-${r.code}`}
            dataSource={rowErrors}
            pagination={{ pageSize: 10 }}
            columns={[
              { title: t('recon.rowNo'), dataIndex: 'row_no', width: 80 },
              { title: t('recon.column'), dataIndex: 'column', width: 140 },
              { title: t('recon.problem'), key: 'msg', render: (_: unknown, r: RowError) => (lang === 'en-US' ? r.message_en : r.message_zh) },
            ]}
          />
        )}
      </Space>
    </Modal>
  );
}

function ResolveDialog({ row, onClose, onDone }: { row: Row | null; onClose: () => void; onDone: () => void }) {
  const { t } = useI18n();
  const [action, setAction] = useState<'accept' | 'link' | 'ignore'>('accept');
  const [account, setAccount] = useState('6711');
  const [orderRef, setOrderRef] = useState('');
  const [note, setNote] = useState('');
  const [transfer, setTransfer] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!row) return;
    setAction(row.status === 'no_order' ? 'link' : row.status === 'duplicate' ? 'ignore' : 'accept');
    setAccount(row.difference_cents > 0 ? '6301' : '6711');
    setOrderRef(row.order_ref);
    setNote('');
    setTransfer(false);
    setError(null);
  }, [row]);
  const submit = async () => {
    if (!row) return;
    const path = { params: { path: { row_id: row.id } } };
    try {
      if (action === 'accept') await unwrap(api.POST(`${BASE}/rows/{row_id}/accept`, { ...path, body: { account: account.trim(), note: note || null } }));
      else if (action === 'link') await unwrap(api.POST(`${BASE}/rows/{row_id}/link`, { ...path, body: { order_ref: orderRef.trim(), note: note || null } }));
      else await unwrap(api.POST(`${BASE}/rows/{row_id}/ignore`, { ...path, body: { reason: note.trim(), transfer } }));
      onDone();
      onClose();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <Modal open={row !== null} title={row ? `${t('recon.resolve')} · #${row.row_no}` : ''} onCancel={onClose} onOk={submit} okButtonProps={{ 'data-testid': 'recon-resolve-ok' } as never}>
      {row && (
        <Space direction="vertical" style={{ width: '100%' }}>
          <Typography.Text>
            <StatusTag status={row.status} /> {row.reason_zh}
          </Typography.Text>
          <Radio.Group value={action} onChange={(e) => setAction(e.target.value)} data-testid="recon-resolve-action">
            <Radio value="accept" disabled={row.status === 'duplicate'}>
              {t('recon.accept')}
            </Radio>
            <Radio value="link" disabled={row.status !== 'no_order'}>
              {t('recon.link')}
            </Radio>
            <Radio value="ignore">{t('recon.ignore')}</Radio>
          </Radio.Group>
          {action === 'accept' && <Input addonBefore={t('recon.diffAccount')} value={account} onChange={(e) => setAccount(e.target.value)} data-testid="recon-resolve-account" />}
          {action === 'link' && <Input addonBefore={t('recon.orderRef')} value={orderRef} onChange={(e) => setOrderRef(e.target.value)} data-testid="recon-resolve-order" />}
          <Input addonBefore={action === 'ignore' ? t('recon.reason') : t('recon.note')} value={note} onChange={(e) => setNote(e.target.value)} data-testid="recon-resolve-note" />
          {action === 'ignore' && (
            <Checkbox checked={transfer} onChange={(e) => setTransfer(e.target.checked)}>
              {t('recon.transfer')}
            </Checkbox>
          )}
          {error && <Alert type="error" showIcon message={error} />}
        </Space>
      )}
    </Modal>
  );
}

function useRowColumns(onResolve: (r: Row) => void, onOrder: (ref: string) => void, showStatement = false) {
  const { t, lang } = useI18n();
  return [
    ...(showStatement ? [{ title: t('recon.statement'), dataIndex: 'statement_id', width: 80 }] : []),
    { title: t('recon.rowNo'), dataIndex: 'row_no', width: 60 },
    { title: t('recon.kind'), dataIndex: 'kind', render: (k: string) => optLabel(t, 'recon.kind', k) },
    { title: t('recon.orderRef'), key: 'order', render: (_: unknown, r: Row) => (r.order ? <a onClick={() => onOrder(r.order as string)}>{r.order}</a> : r.order_ref || '-') },
    { title: t('recon.gross'), dataIndex: 'gross_cents', align: 'right' as const, render: formatCents },
    { title: t('recon.fee'), key: 'fee', align: 'right' as const, render: (_: unknown, r: Row) => formatCents(r.fee_cents + r.commission_cents) },
    { title: t('recon.net'), dataIndex: 'net_cents', align: 'right' as const, render: formatCents },
    { title: t('recon.difference'), dataIndex: 'difference_cents', align: 'right' as const, render: (v: number) => <span style={{ color: v ? '#cf1322' : undefined }}>{v ? formatCents(v) : '-'}</span> },
    { title: t('recon.statusCol'), dataIndex: 'status', render: (s: string) => <StatusTag status={s} /> },
    { title: t('recon.reasonCol'), key: 'reason', render: (_: unknown, r: Row) => (lang === 'en-US' ? r.reason_en : r.reason_zh) },
    {
      title: t('recon.stateCol'),
      key: 'state',
      render: (_: unknown, r: Row) =>
        r.state === 'open' ? (
          <Button size="small" type="primary" danger onClick={() => onResolve(r)} data-testid={`recon-resolve-${r.row_no}`}>
            {t('recon.resolve')}
          </Button>
        ) : (
          <span title={r.resolution_note ?? ''}>{optLabel(t, 'recon.state', r.state)}</span>
        ),
    },
  ];
}

function StatementDrawer({ id, onClose, onChanged, onOrder }: { id: number | null; onClose: () => void; onChanged: () => void; onOrder: (ref: string) => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [status, setStatus] = useState<string>('all');
  const [data, setData] = useState<S['RowsOut'] | null>(null);
  const [resolving, setResolving] = useState<Row | null>(null);
  const load = useCallback(() => {
    if (id === null) return;
    unwrap(api.GET(`${BASE}/statements/{statement_id}/rows`, { params: { path: { statement_id: id }, query: { status: status === 'all' ? undefined : status } } }))
      .then(setData)
      .catch((e) => message.error(errorText(e)));
  }, [id, status, message]);
  useEffect(() => {
    setData(null);
    load();
  }, [load]);
  useEffect(() => setStatus('all'), [id]);
  const columns = useRowColumns(setResolving, onOrder);
  const by = data?.summary.by_status;
  return (
    <Drawer open={id !== null} width={1100} onClose={onClose} title={`${t('recon.statement')} #${id ?? ''}`}>
      {data && by && (
        <>
          <Space size="large" style={{ marginBottom: 12 }} data-testid="recon-summary">
            <Statistic title={t('recon.gross')} value={formatCents(data.summary.total.gross_cents)} />
            <Statistic title={t('recon.fee')} value={formatCents(data.summary.total.fee_cents + data.summary.total.commission_cents)} />
            <Statistic title={t('recon.net')} value={formatCents(data.summary.total.net_cents)} />
            <Statistic title={t('recon.open')} value={data.summary.open} valueStyle={{ color: data.summary.open ? '#cf1322' : undefined }} />
          </Space>
          <Tabs
            activeKey={status}
            onChange={setStatus}
            data-testid="recon-status-tabs"
            items={[
              { key: 'all', label: `${t('recon.all')} ${data.summary.total.count + data.summary.duplicates}` },
              ...STATUSES.filter((s) => by[s]?.count).map((s) => ({
                key: s,
                label: <span data-testid={`recon-tab-${s}`}>{`${optLabel(t, 'recon.status', s)} ${by[s].count}`}</span>,
              })),
            ]}
          />
          <Table size="small" rowKey="id" dataSource={data.rows} columns={columns} pagination={{ pageSize: 100 }} />
        </>
      )}
      <ResolveDialog
        row={resolving}
        onClose={() => setResolving(null)}
        onDone={() => {
          load();
          onChanged();
        }}
      />
    </Drawer>
  );
}

function OrderMoneyDrawer({ orderRef, onClose }: { orderRef: string | null; onClose: () => void }) {
  const { t } = useI18n();
  const [money, setMoney] = useState<OrderMoney | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setMoney(null);
    setError(null);
    if (orderRef) unwrap(api.GET(`${BASE}/orders/{ref}`, { params: { path: { ref: orderRef } } })).then(setMoney).catch((e) => setError(errorText(e)));
  }, [orderRef]);
  const columns = useRowColumns(() => undefined, () => undefined, true).filter((c) => 'dataIndex' in c || c.key !== 'state');
  return (
    <Drawer open={orderRef !== null} width={900} onClose={onClose} title={`${t('recon.orderMoney')} ${orderRef ?? ''}`}>
      {error && <Alert type="error" showIcon message={error} />}
      {money && (
        <>
          <Descriptions size="small" bordered column={3} style={{ marginBottom: 12 }}>
            <Descriptions.Item label={t('recon.moneyStatus')}>
              <Tag color={MONEY_COLOR[money.status]} data-testid="recon-money-status">
                {optLabel(t, 'recon.money', money.status)}
              </Tag>
            </Descriptions.Item>
            <Descriptions.Item label={t('recon.channel')}>{money.channel}</Descriptions.Item>
            <Descriptions.Item label={t('recon.receivable')}>{formatCents(money.receivable_cents)}</Descriptions.Item>
            <Descriptions.Item label={t('recon.settled')}>{formatCents(money.settled_cents)}</Descriptions.Item>
            <Descriptions.Item label={t('recon.refunded')}>{formatCents(money.refunded_cents)}</Descriptions.Item>
            <Descriptions.Item label={t('recon.fee')}>{formatCents(money.fees_cents)}</Descriptions.Item>
            <Descriptions.Item label={t('recon.outstanding')}>{formatCents(money.outstanding_cents)}</Descriptions.Item>
          </Descriptions>
          <Table size="small" rowKey="id" dataSource={money.rows} columns={columns} pagination={false} />
        </>
      )}
    </Drawer>
  );
}

export default function ReconciliationPage() {
  const { t, lang } = useI18n();
  const channels = useChannels();
  const [channel, setChannel] = useState<string | undefined>(undefined);
  const [importOpen, setImportOpen] = useState(false);
  const [openId, setOpenId] = useState<number | null>(null);
  const [orderRef, setOrderRef] = useState<string | null>(null);
  const [lookup, setLookup] = useState('');
  const [resolving, setResolving] = useState<Row | null>(null);
  const [unsettled, setUnsettled] = useState<S['UnsettledOut'] | null>(null);
  const [moneyStatus, setMoneyStatus] = useState<string>('unsettled');
  const statements = useCursorList<StatementRow>((cursor) => unwrap(api.GET(`${BASE}/statements`, { params: { query: { cursor, channel } } })), [channel]);
  const exceptions = useCursorList<Row>((cursor) => unwrap(api.GET(`${BASE}/exceptions`, { params: { query: { cursor, channel } } })), [channel]);
  const orders = useCursorList<S['OrderMoneyOut']>(
    (cursor) => (channel ? unwrap(api.GET(`${BASE}/orders`, { params: { query: { cursor, channel, status: moneyStatus } } })) : Promise.resolve({ items: [], next_cursor: null })),
    [channel, moneyStatus],
  );
  useEffect(() => {
    setUnsettled(null);
    if (channel) unwrap(api.GET(`${BASE}/unsettled`, { params: { query: { channel } } })).then(setUnsettled).catch(() => setUnsettled(null));
  }, [channel]);
  const reload = () => {
    void statements.reload();
    void exceptions.reload();
    void orders.reload();
  };
  const rowColumns = useRowColumns(setResolving, setOrderRef, true);
  return (
    <Card
      title={<Typography.Text strong>{t('menu.reconciliation')}</Typography.Text>}
      extra={
        <Space>
          <Select allowClear placeholder={t('recon.allChannels')} style={{ width: 200 }} value={channel} onChange={setChannel} options={channels.map((c) => ({ value: c.code, label: c.name }))} data-testid="recon-channel" />
          <Input.Search placeholder={t('recon.lookupOrder')} value={lookup} onChange={(e) => setLookup(e.target.value)} onSearch={(v) => v.trim() && setOrderRef(v.trim())} style={{ width: 220 }} />
          <Button type="primary" icon={<UploadOutlined />} onClick={() => setImportOpen(true)} data-testid="recon-import">
            {t('recon.import')}
          </Button>
        </Space>
      }
    >
      <Tabs
        items={[
          {
            key: 'statements',
            label: t('recon.statements'),
            children: (
              <>
                <Table
                  size="small"
                  rowKey="id"
                  loading={statements.loading}
                  dataSource={statements.items}
                  pagination={false}
                  data-testid="recon-statements"
                  onRow={(r) => ({ onClick: () => setOpenId(r.id), style: { cursor: 'pointer' } })}
                  columns={[
                    { title: '#', dataIndex: 'id', width: 60 },
                    { title: t('recon.channel'), dataIndex: 'channel' },
                    { title: t('recon.source'), dataIndex: 'source', render: (s: string) => optLabel(t, 'recon.source', s) },
                    { title: t('recon.file'), dataIndex: 'filename' },
                    { title: t('recon.rows'), dataIndex: 'row_count', align: 'right' },
                    { title: t('recon.gross'), dataIndex: 'gross_cents', align: 'right', render: formatCents },
                    { title: t('recon.net'), dataIndex: 'net_cents', align: 'right', render: formatCents },
                    { title: t('recon.open'), dataIndex: 'open', align: 'right', render: (n: number) => (n ? <Tag color="red">{n}</Tag> : <Tag color="green">0</Tag>) },
                    { title: t('recon.importedAt'), dataIndex: 'imported_at', render: (v: string) => new Date(v).toLocaleString(lang) },
                    { title: t('doc.createdBy'), dataIndex: 'imported_by' },
                  ]}
                />
                <LoadMore count={statements.items.length} hasMore={Boolean(statements.next)} loading={statements.loading} onLoadMore={statements.loadMore} />
              </>
            ),
          },
          {
            key: 'exceptions',
            label: <span data-testid="recon-exceptions-tab">{`${t('recon.exceptions')} ${exceptions.items.length}${exceptions.next ? '+' : ''}`}</span>,
            children: (
              <>
                <Table size="small" rowKey="id" loading={exceptions.loading} dataSource={exceptions.items} pagination={false} columns={rowColumns} />
                <LoadMore count={exceptions.items.length} hasMore={Boolean(exceptions.next)} loading={exceptions.loading} onLoadMore={exceptions.loadMore} />
              </>
            ),
          },
          {
            key: 'unsettled',
            label: `${t('recon.unsettled')}${unsettled ? ` ${unsettled.count}` : ''}`,
            children: channel ? (
              <>
                {unsettled && (
                  <Typography.Paragraph>
                    {t('recon.unsettledHint', { days: unsettled.days, amount: formatCents(unsettled.outstanding_cents) })}
                  </Typography.Paragraph>
                )}
                <Table
                  size="small"
                  rowKey="order_id"
                  dataSource={unsettled?.orders ?? []}
                  pagination={{ pageSize: 50 }}
                  columns={[
                    { title: t('recon.orderRef'), dataIndex: 'ref', render: (v: string) => <a onClick={() => setOrderRef(v)}>{v}</a> },
                    { title: t('recon.shippedAt'), dataIndex: 'shipped_at', render: (v: string) => new Date(v).toLocaleString(lang) },
                    { title: t('recon.days'), dataIndex: 'days_since_shipped', align: 'right' },
                    { title: t('recon.receivable'), dataIndex: 'expected_cents', align: 'right', render: formatCents },
                    { title: t('recon.settled'), dataIndex: 'settled_cents', align: 'right', render: formatCents },
                    { title: t('recon.outstanding'), dataIndex: 'outstanding_cents', align: 'right', render: formatCents },
                  ]}
                />
              </>
            ) : (
              <Alert type="info" showIcon message={t('recon.pickChannel')} />
            ),
          },
          {
            key: 'orders',
            label: t('recon.orderMoneyList'),
            children: channel ? (
              <>
                <Radio.Group value={moneyStatus} onChange={(e) => setMoneyStatus(e.target.value)} style={{ marginBottom: 12 }}>
                  {['unsettled', 'partly', 'mismatch', 'settled'].map((s) => (
                    <Radio.Button key={s} value={s}>
                      {optLabel(t, 'recon.money', s)}
                    </Radio.Button>
                  ))}
                </Radio.Group>
                <Table
                  size="small"
                  rowKey="order_id"
                  loading={orders.loading}
                  dataSource={orders.items}
                  pagination={false}
                  columns={[
                    { title: t('recon.orderRef'), dataIndex: 'ref', render: (v: string) => <a onClick={() => setOrderRef(v)}>{v}</a> },
                    { title: t('recon.moneyStatus'), dataIndex: 'status', render: (s: string) => <Tag color={MONEY_COLOR[s]}>{optLabel(t, 'recon.money', s)}</Tag> },
                    { title: t('recon.receivable'), dataIndex: 'receivable_cents', align: 'right', render: formatCents },
                    { title: t('recon.refunded'), dataIndex: 'refunded_cents', align: 'right', render: formatCents },
                    { title: t('recon.settled'), dataIndex: 'settled_cents', align: 'right', render: formatCents },
                    { title: t('recon.fee'), dataIndex: 'fees_cents', align: 'right', render: formatCents },
                    { title: t('recon.outstanding'), dataIndex: 'outstanding_cents', align: 'right', render: formatCents },
                  ]}
                />
                <LoadMore count={orders.items.length} hasMore={Boolean(orders.next)} loading={orders.loading} onLoadMore={orders.loadMore} />
              </>
            ) : (
              <Alert type="info" showIcon message={t('recon.pickChannel')} />
            ),
          },
        ]}
      />
      <ImportDialog
        open={importOpen}
        channel={channel}
        onClose={() => setImportOpen(false)}
        onDone={(s) => {
          reload();
          setOpenId(s.id);
        }}
      />
      <StatementDrawer id={openId} onClose={() => setOpenId(null)} onChanged={reload} onOrder={setOrderRef} />
      <OrderMoneyDrawer orderRef={orderRef} onClose={() => setOrderRef(null)} />
      <ResolveDialog row={resolving} onClose={() => setResolving(null)} onDone={reload} />
    </Card>
  );
}
