// One stocktake sheet: the scanner-friendly count screen and the report.
//
// A keyboard-wedge scanner "types" a code and presses Enter into the focused box: each Enter counts
// one piece of that code (or, when the quantity box holds a number, sets the line to it). Scans are
// sent one after another, in order; the last one stays visible (no sound needed), an unknown code
// shows a red message, and the box keeps the focus. Blind sheets never show book quantities here.
import { useCallback, useEffect, useRef, useState, type KeyboardEvent } from 'react';
import {
  Alert,
  App,
  Button,
  Card,
  Descriptions,
  Empty,
  Input,
  InputNumber,
  Space,
  Spin,
  Statistic,
  Table,
  Tabs,
  Tag,
  Typography,
  type InputRef,
} from 'antd';
import { ArrowLeftOutlined, DownloadOutlined, EyeInvisibleOutlined, ScanOutlined } from '@ant-design/icons';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { ApiError, api, unwrap } from '../../api/client';
import type { Stocktake, StocktakeLine } from '../../api/types';
import { useAuth } from '../../auth';
import { errorText } from '../../components/useCursorList';
import { formatTime } from '../../format';
import { optLabel, useI18n } from '../../i18n';
import { formatCents, formatQty } from '../../money';
import { QtyCell } from './docCommon';
import { scopeText } from './StocktakesPage';
import { StocktakeStatusTag, saveBlob } from './transitCommon';

const COUNTABLE = ['open', 'counting', 'recount'];

interface Last {
  ok: boolean;
  text: string;
  seq: number;
}

export default function StocktakePage() {
  const { t } = useI18n();
  const { can } = useAuth();
  const { message, modal } = App.useApp();
  const navigate = useNavigate();
  const sheetId = Number(useParams().id);
  const [sheet, setSheet] = useState<Stocktake | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tab, setTab] = useState('count');
  const [code, setCode] = useState('');
  const [qty, setQty] = useState<number | null>(null);
  const [last, setLast] = useState<Last | null>(null);
  const [lastSku, setLastSku] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const scanRef = useRef<InputRef>(null);
  const queue = useRef<Promise<void>>(Promise.resolve());
  const seq = useRef(0);

  const load = useCallback(async () => {
    try {
      const d = await unwrap(api.GET('/api/v1/inventory/stocktakes/{sheet_id}', { params: { path: { sheet_id: sheetId } } }));
      setSheet(d);
      setError(null);
      return d;
    } catch (e) {
      setError(errorText(e));
      return null;
    }
  }, [sheetId]);

  useEffect(() => {
    void load().then((d) => {
      if (d && !COUNTABLE.includes(d.status)) setTab('report');
    });
  }, [load]);

  const focusScan = () => window.setTimeout(() => scanRef.current?.focus(), 0);
  useEffect(() => {
    if (tab === 'count') focusScan();
  }, [tab, sheet?.id]);

  /** Send one count; scans are queued so they reach the server in the order they were made. */
  const count = (c: string, q: number | null, lotNo: string | null = null) => {
    queue.current = queue.current.then(async () => {
      const mine = ++seq.current;
      try {
        const res = await unwrap(
          api.POST('/api/v1/inventory/stocktakes/{sheet_id}/counts', { params: { path: { sheet_id: sheetId } }, body: { code: c, qty: q, lot_no: lotNo } }),
        );
        const line = res.line;
        setSheet((prev) => {
          if (!prev) return prev;
          const exists = prev.line_items.some((l) => l.line_no === line.line_no);
          const line_items = exists ? prev.line_items.map((l) => (l.line_no === line.line_no ? line : l)) : [...prev.line_items, line];
          return { ...prev, status: res.sheet_status, round: res.round, line_items };
        });
        const n = (res.round === 2 ? line.counted2 : line.counted1) ?? 0;
        const text = t(q === null ? 'st.scanAdd' : 'st.scanSet', { sku: line.sku, name: line.sku_name, n }) + (line.added && n <= 1 ? ` ${t('st.scanNew')}` : '');
        setLast({ ok: true, text, seq: mine });
        setLastSku(line.sku);
      } catch (e) {
        setLast({ ok: false, text: `${c}: ${errorText(e)}`, seq: mine });
      }
    });
    return queue.current;
  };

  const onScanKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    const c = code.trim();
    setCode('');
    if (!c) return;
    const q = qty;
    setQty(null);
    void count(c, q);
  };

  const post = async (zero: boolean) => {
    setBusy(true);
    try {
      const d = await unwrap(
        api.POST('/api/v1/inventory/stocktakes/{sheet_id}/post', { params: { path: { sheet_id: sheetId } }, body: { uncounted_as_zero: zero } }),
      );
      setSheet(d);
      setTab('report');
      message.success(t('st.postedOk', { ref: d.ref }));
    } catch (e) {
      if (!zero && e instanceof ApiError && e.code === 'inventory.stocktake_uncounted') {
        modal.confirm({
          title: t('st.post'),
          content: <span style={{ whiteSpace: 'pre-line' }}>{t('st.postZeroConfirm', { msg: e.message })}</span>,
          okButtonProps: { 'data-testid': 'st-post-zero-confirm' } as never,
          onOk: () => post(true),
        });
      } else {
        modal.error({ title: t('st.post'), content: <span data-testid="st-action-error">{errorText(e)}</span> });
      }
    } finally {
      setBusy(false);
    }
  };

  const recount = async () => {
    setBusy(true);
    try {
      const d = await unwrap(api.POST('/api/v1/inventory/stocktakes/{sheet_id}/recount', { params: { path: { sheet_id: sheetId } }, body: {} }));
      setSheet(d);
      message.success(t('st.recountOk', { n: d.totals.recount_lines }));
      setTab('count');
    } catch (e) {
      modal.error({ title: t('st.sendRecount'), content: <span data-testid="st-action-error">{errorText(e)}</span> });
    } finally {
      setBusy(false);
    }
  };

  const cancel = async () => {
    setBusy(true);
    try {
      const d = await unwrap(api.POST('/api/v1/inventory/stocktakes/{sheet_id}/cancel', { params: { path: { sheet_id: sheetId } } }));
      setSheet(d);
      setTab('report');
      message.success(t('st.cancelledOk', { ref: d.ref }));
    } catch (e) {
      modal.error({ title: t('st.cancel'), content: errorText(e) });
    } finally {
      setBusy(false);
    }
  };

  const exportXlsx = async () => {
    if (!sheet) return;
    try {
      const blob = (await unwrap(
        api.GET('/api/v1/inventory/stocktakes/{sheet_id}/report.xlsx', { params: { path: { sheet_id: sheetId } }, parseAs: 'blob' }),
      )) as Blob;
      saveBlob(blob, `${sheet.ref}.xlsx`);
    } catch (e) {
      message.error(errorText(e));
    }
  };

  if (error) return <Alert type="error" showIcon message={error} />;
  if (!sheet) return <Spin style={{ display: 'block', margin: '48px auto' }} />;

  const countable = COUNTABLE.includes(sheet.status);
  const recounting = sheet.status === 'recount';
  const hideBook = sheet.blind && countable; // the count screen is the counter's: never the book on a blind sheet
  const canPost = can('inventory.count.create');
  const totals = sheet.totals;

  const lotColumn = {
    title: t('doc.lotNo'),
    dataIndex: 'lot_no',
    width: 140,
    render: (v: string | null, l: StocktakeLine) => (v ? `${v}${l.expiry_date ? ` (${l.expiry_date})` : ''}` : '-'),
  };
  const countColumns = [
    { title: t('doc.lineNo'), dataIndex: 'line_no', width: 56 },
    { title: t('bin.bin'), dataIndex: 'bin', width: 100, render: (v: string | null) => v ?? '-' },
    { title: t('doc.sku'), dataIndex: 'sku', width: 160 },
    lotColumn,
    {
      title: t('doc.skuName'),
      dataIndex: 'sku_name',
      render: (v: string, l: StocktakeLine) => (
        <Space size={4}>
          {v}
          {l.added && <Tag color="blue">{t('st.added')}</Tag>}
          {l.recount && <Tag color="orange">{t('st.recountFlag')}</Tag>}
        </Space>
      ),
    },
    ...(hideBook ? [] : [{ title: t('st.book'), dataIndex: 'book_qty', width: 100, align: 'right' as const, render: (v: number | null) => formatQty(v) }]),
    {
      title: t('st.counted1'),
      dataIndex: 'counted1',
      width: 120,
      align: 'right' as const,
      render: (v: number | null) => <span data-testid="st-line-counted1">{v === null ? t('st.notCounted') : formatQty(v)}</span>,
    },
    ...(sheet.round === 2
      ? [{ title: t('st.counted2'), dataIndex: 'counted2', width: 90, align: 'right' as const, render: (v: number | null) => <span data-testid="st-line-counted2">{formatQty(v)}</span> }]
      : []),
    ...(countable
      ? [
          {
            title: t('st.typeQty'),
            key: 'type',
            width: 130,
            render: (_: unknown, l: StocktakeLine) =>
              !recounting || l.recount ? (
                <InputNumber
                  size="small"
                  min={0}
                  precision={0}
                  style={{ width: '100%' }}
                  placeholder={t('st.counted')}
                  data-testid="st-line-type"
                  onPressEnter={(e) => {
                    const v = Number((e.target as HTMLInputElement).value);
                    if (Number.isSafeInteger(v) && v >= 0) {
                      void count(l.sku, v, l.lot_no ?? null).then(focusScan);
                      (e.target as HTMLInputElement).value = '';
                    }
                  }}
                />
              ) : null,
          },
        ]
      : []),
  ];

  const reportColumns = [
    { title: t('doc.lineNo'), dataIndex: 'line_no', width: 56 },
    { title: t('bin.bin'), dataIndex: 'bin', width: 100, render: (v: string | null) => v ?? '-' },
    { title: t('doc.sku'), dataIndex: 'sku', width: 150 },
    lotColumn,
    { title: t('doc.skuName'), dataIndex: 'sku_name' },
    { title: t('st.book'), dataIndex: 'book_qty', width: 90, align: 'right' as const, render: (v: number | null) => (v === null ? <Tag>{t('st.hidden')}</Tag> : formatQty(v)) },
    { title: t('st.counted1'), dataIndex: 'counted1', width: 80, align: 'right' as const, render: (v: number | null) => formatQty(v) },
    { title: t('st.counted2'), dataIndex: 'counted2', width: 80, align: 'right' as const, render: (v: number | null) => formatQty(v) },
    {
      title: t('st.counted'),
      dataIndex: 'counted',
      width: 80,
      align: 'right' as const,
      render: (v: number | null) => <span data-testid="st-report-counted">{v === null ? t('st.notCounted') : formatQty(v)}</span>,
    },
    {
      title: t('st.difference'),
      dataIndex: 'difference',
      width: 80,
      align: 'right' as const,
      render: (v: number | null) => (v === null ? '-' : <QtyCell qty={v} testId="st-report-diff" />),
    },
    {
      title: t('st.value'),
      dataIndex: 'value_cents',
      width: 120,
      align: 'right' as const,
      render: (v: number | null, l: StocktakeLine) => (
        <span data-testid="st-report-value" title={l.value_estimated ? t('st.valueEstimated') : undefined}>
          {v === null ? '-' : `${formatCents(v)}${l.value_estimated && v ? ' *' : ''}`}
        </span>
      ),
    },
    { title: t('st.onHandAtPost'), dataIndex: 'on_hand_at_post', width: 100, align: 'right' as const, render: (v: number | null) => formatQty(v) },
    { title: t('st.postedQty'), dataIndex: 'posted_qty', width: 100, align: 'right' as const, render: (v: number | null) => formatQty(v) },
  ];

  return (
    <Card
      size="small"
      title={
        <Space>
          <Button size="small" type="text" icon={<ArrowLeftOutlined />} onClick={() => navigate('/inventory/stocktakes')} title={t('st.back')} />
          <span>
            {t('st.title')} · <span data-testid="st-detail-ref">{sheet.ref}</span>
          </span>
          <StocktakeStatusTag status={sheet.status} />
          {sheet.blind && (
            <Tag icon={<EyeInvisibleOutlined />} data-testid="st-blind-tag">
              {t('st.blind')}
            </Tag>
          )}
        </Space>
      }
      extra={
        <Space wrap>
          {sheet.status === 'counting' && canPost && (
            <Button size="small" loading={busy} onClick={() => void recount()} data-testid="st-recount">
              {t('st.sendRecount')}
            </Button>
          )}
          {(sheet.status === 'counting' || sheet.status === 'recount') && canPost && (
            <Button
              size="small"
              type="primary"
              loading={busy}
              data-testid="st-post"
              onClick={() =>
                modal.confirm({
                  title: t('st.post'),
                  content: t('st.postConfirm'),
                  okButtonProps: { 'data-testid': 'st-post-confirm' } as never,
                  onOk: () => post(false),
                })
              }
            >
              {t('st.post')}
            </Button>
          )}
          {countable && can('inventory.stocktake.create') && (
            <Button
              size="small"
              danger
              loading={busy}
              data-testid="st-cancel"
              onClick={() => modal.confirm({ title: t('st.cancel'), content: t('st.cancelConfirm'), onOk: () => cancel() })}
            >
              {t('st.cancel')}
            </Button>
          )}
          <Button size="small" icon={<DownloadOutlined />} onClick={() => void exportXlsx()} data-testid="st-export">
            {t('st.export')}
          </Button>
        </Space>
      }
    >
      <Descriptions size="small" column={4} style={{ marginBottom: 8 }}>
        <Descriptions.Item label={t('doc.warehouse')}>{sheet.warehouse}</Descriptions.Item>
        <Descriptions.Item label={t('st.scope')}>{scopeText(t, sheet.scope)}</Descriptions.Item>
        <Descriptions.Item label={t('st.round')}>{sheet.round}</Descriptions.Item>
        <Descriptions.Item label={t('st.progress')}>
          <span data-testid="st-progress">{`${sheet.line_items.filter((l) => l.counted !== null).length} / ${sheet.line_items.length}`}</span>
        </Descriptions.Item>
        <Descriptions.Item label={t('st.createdAt')}>{`${formatTime(sheet.created_at)} ${sheet.created_by}`}</Descriptions.Item>
        <Descriptions.Item label={t('st.postedAt')}>{formatTime(sheet.posted_at)}</Descriptions.Item>
        <Descriptions.Item label={t('st.countDoc')}>
          {sheet.count_document_id ? (
            <Link to={`/inventory/documents?doc=${sheet.count_document_id}`} data-testid="st-count-doc">
              {sheet.count_document_ref}
            </Link>
          ) : (
            '-'
          )}
        </Descriptions.Item>
        <Descriptions.Item label={t('doc.note')}>{sheet.note || '-'}</Descriptions.Item>
      </Descriptions>
      <Tabs
        activeKey={tab}
        onChange={(k) => {
          setTab(k);
          if (k === 'report') void load(); // totals and estimated values as of now
        }}
        items={[
          {
            key: 'count',
            label: <span data-testid="st-tab-count">{t('st.countTab')}</span>,
            children: (
              <div data-testid="st-count">
                {countable ? (
                  <Space direction="vertical" style={{ width: '100%', marginBottom: 8 }}>
                    <Space.Compact style={{ width: '100%' }}>
                      <Input
                        ref={scanRef}
                        size="large"
                        prefix={<ScanOutlined />}
                        placeholder={t('st.scan')}
                        value={code}
                        onChange={(e) => setCode(e.target.value)}
                        onKeyDown={onScanKey}
                        autoComplete="off"
                        autoFocus
                        data-testid="st-scan"
                      />
                      <InputNumber
                        size="large"
                        min={0}
                        precision={0}
                        value={qty}
                        onChange={(v) => setQty(typeof v === 'number' ? v : null)}
                        onPressEnter={() => focusScan()}
                        placeholder={t('st.qtyBox')}
                        style={{ width: 260 }}
                        data-testid="st-qty"
                      />
                    </Space.Compact>
                    {last ? (
                      <Alert
                        key={last.seq}
                        type={last.ok ? 'success' : 'error'}
                        showIcon
                        message={
                          <span>
                            <Typography.Text type="secondary">{t('st.lastScanned')}</Typography.Text>
                            <span data-testid="st-last">{last.text}</span>
                          </span>
                        }
                        className="st-flash"
                        data-testid={last.ok ? 'st-last-ok' : 'st-last-error'}
                      />
                    ) : null}
                  </Space>
                ) : (
                  <Alert type="info" showIcon style={{ marginBottom: 8 }} message={t('st.closed', { status: optLabel(t, 'st.status', sheet.status) })} />
                )}
                <Table<StocktakeLine>
                  size="small"
                  rowKey="line_no"
                  pagination={false}
                  dataSource={sheet.line_items}
                  columns={countColumns}
                  data-testid="st-lines"
                  locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} /> }}
                  onRow={(l) => ({ 'data-testid': 'st-line', 'data-sku': l.sku, 'data-lot': l.lot_no ?? '', style: l.sku === lastSku ? { background: '#e6f4ff' } : undefined }) as never}
                />
              </div>
            ),
          },
          {
            key: 'report',
            label: <span data-testid="st-tab-report">{t('st.reportTab')}</span>,
            children: (
              <div data-testid="st-report">
                {sheet.book_visible && (
                  <Space size="large" style={{ marginBottom: 12 }} wrap>
                    <Statistic title={t('st.diffLines')} value={totals.difference_lines ?? 0} />
                    <Statistic title={t('st.uncounted')} value={totals.uncounted_lines} />
                    <Statistic title={t('st.gain')} value={`+${formatQty(totals.gain_qty ?? 0)} / ${formatCents(totals.gain_value_cents ?? 0)}`} />
                    <Statistic
                      title={t('st.loss')}
                      value={`-${formatQty(totals.loss_qty ?? 0)} / ${formatCents(-(totals.loss_value_cents ?? 0))}`}
                      valueStyle={{ color: totals.loss_qty ? '#cf1322' : undefined }}
                    />
                  </Space>
                )}
                {sheet.status !== 'posted' && sheet.book_visible && (
                  <Typography.Paragraph type="secondary">* {t('st.valueEstimated')}</Typography.Paragraph>
                )}
                <Table<StocktakeLine>
                  size="small"
                  rowKey="line_no"
                  pagination={false}
                  dataSource={sheet.line_items}
                  columns={reportColumns}
                  scroll={{ x: 1100 }}
                  data-testid="st-report-lines"
                  onRow={(l) => ({ 'data-testid': 'st-report-line', 'data-sku': l.sku }) as never}
                />
              </div>
            ),
          },
        ]}
      />
    </Card>
  );
}
