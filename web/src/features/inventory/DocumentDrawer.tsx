import { useEffect, useState } from 'react';
import { Alert, Descriptions, Drawer, Empty, Spin, Table, Tag, Typography } from 'antd';
import { api, unwrap } from '../../api/client';
import type { DocumentDetail, DocumentLine, DocumentMove } from '../../api/types';
import { errorText } from '../../components/useCursorList';
import { formatTime } from '../../format';
import { kindLabel, useI18n } from '../../i18n';
import { formatCents, formatQty } from '../../money';
import { DocKindTag, DocStatusTag, QtyCell, lineAmount, reasonText, useAdjustmentReasons } from './docCommon';

/** Find a document by its exact number (and kind), for links from the ledger. */
export async function findDocumentId(ref: string, kind?: string): Promise<number | null> {
  const page = await unwrap(
    api.GET('/api/v1/inventory/documents', {
      params: { query: { q: ref, limit: 50, ...(kind ? { kind: kind as 'receipt' | 'transfer' | 'count' | 'adjustment' } : {}) } },
    }),
  );
  const hit = page.items.find((d) => d.ref === ref) ?? page.items.find((d) => d.ref.toLowerCase() === ref.toLowerCase());
  return hit ? hit.id : null;
}

/** The detail of one stock document: header, lines and the ledger rows it wrote. */
export default function DocumentDrawer({ docId, onClose }: { docId: number | null; onClose: () => void }) {
  const { t, lang } = useI18n();
  const reasons = useAdjustmentReasons();
  const [doc, setDoc] = useState<DocumentDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  useEffect(() => {
    setDoc(null);
    setError(null);
    if (docId === null) return;
    let live = true;
    setLoading(true);
    unwrap(api.GET('/api/v1/inventory/documents/{doc_id}', { params: { path: { doc_id: docId } } }))
      .then((d) => live && setDoc(d))
      .catch((e) => live && setError(errorText(e)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [docId]);

  const isCount = doc?.kind === 'count';
  const lineColumns = [
    { title: t('doc.lineNo'), dataIndex: 'line_no', width: 56 },
    { title: t('doc.sku'), dataIndex: 'sku', width: 140 },
    { title: t('doc.skuName'), dataIndex: 'sku_name' },
    ...(isCount
      ? [
          { title: t('doc.onHandBefore'), dataIndex: 'on_hand_before', align: 'right' as const, width: 100, render: (v: number | null) => formatQty(v) },
          {
            title: t('doc.counted'),
            dataIndex: 'counted',
            align: 'right' as const,
            width: 90,
            render: (v: number | null) => <span data-testid="doc-line-counted">{formatQty(v)}</span>,
          },
          {
            title: t('doc.difference'),
            key: 'diff',
            align: 'right' as const,
            width: 90,
            render: (_: unknown, r: DocumentLine) => (
              <QtyCell qty={r.counted !== null && r.on_hand_before !== null ? r.counted - r.on_hand_before : r.qty} testId="doc-line-diff" />
            ),
          },
        ]
      : [
          {
            title: t('doc.qty'),
            dataIndex: 'qty',
            align: 'right' as const,
            width: 90,
            render: (v: number) => <span data-testid="doc-line-qty">{formatQty(v)}</span>,
          },
          { title: t('doc.unitCost'), dataIndex: 'unit_cost_cents', align: 'right' as const, width: 110, render: (v: number | null) => formatCents(v) },
          {
            title: t('doc.amount'),
            key: 'amount',
            align: 'right' as const,
            width: 120,
            render: (_: unknown, r: DocumentLine) => formatCents(lineAmount(r.qty, r.unit_cost_cents)),
          },
        ]),
  ];

  return (
    <Drawer
      open={docId !== null}
      onClose={onClose}
      width={880}
      title={doc ? `${t('doc.detail')} · ${doc.ref}` : t('doc.detail')}
      data-testid="doc-drawer"
    >
      {loading && <Spin style={{ display: 'block', margin: '24px auto' }} />}
      {error && <Alert type="error" showIcon message={error} />}
      {doc && (
        <div data-testid="doc-detail">
          <Descriptions size="small" bordered column={3} style={{ marginBottom: 16 }}>
            <Descriptions.Item label={t('doc.ref')}>
              <Typography.Text strong data-testid="doc-detail-ref">
                {doc.ref}
              </Typography.Text>
            </Descriptions.Item>
            <Descriptions.Item label={t('doc.kind')}>
              <DocKindTag kind={doc.kind} />
            </Descriptions.Item>
            <Descriptions.Item label={t('doc.status')}>
              <DocStatusTag status={doc.status} />
            </Descriptions.Item>
            <Descriptions.Item label={t('doc.warehouse')}>
              {doc.to_warehouse ? `${doc.warehouse} → ${doc.to_warehouse}` : doc.warehouse}
            </Descriptions.Item>
            <Descriptions.Item label={t('doc.at')}>{formatTime(doc.at)}</Descriptions.Item>
            <Descriptions.Item label={t('doc.createdBy')}>{doc.created_by || '-'}</Descriptions.Item>
            <Descriptions.Item label={t('doc.partner')}>{doc.partner || '-'}</Descriptions.Item>
            <Descriptions.Item label={t('doc.reason')}>{reasonText(t, lang, reasons, doc)}</Descriptions.Item>
            <Descriptions.Item label={t('doc.note')}>{doc.note || '-'}</Descriptions.Item>
          </Descriptions>
          <Typography.Title level={5}>{t('doc.lineItems')}</Typography.Title>
          <Table<DocumentLine>
            size="small"
            rowKey="line_no"
            pagination={false}
            dataSource={doc.line_items}
            columns={lineColumns}
            data-testid="doc-lines"
          />
          <Typography.Title level={5} style={{ marginTop: 16 }}>
            {t('doc.moves')}
          </Typography.Title>
          {doc.moves.length === 0 ? (
            <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('doc.noMoves')} />
          ) : (
            <Table<DocumentMove>
              size="small"
              rowKey="id"
              pagination={false}
              dataSource={doc.moves}
              data-testid="doc-moves"
              columns={[
                { title: t('doc.warehouse'), dataIndex: 'warehouse', width: 110 },
                { title: t('doc.sku'), dataIndex: 'sku', width: 140 },
                { title: t('doc.lotNo'), dataIndex: 'lot_no', width: 110, render: (v: string | null) => v ?? '-' },
                { title: t('ledger.kind'), dataIndex: 'kind', width: 110, render: (v: string) => <Tag>{kindLabel(t, v)}</Tag> },
                { title: t('ledger.qty'), dataIndex: 'qty', align: 'right', width: 90, render: (v: number) => <QtyCell qty={v} testId="doc-move-qty" /> },
                { title: t('ledger.value'), dataIndex: 'value_cents', align: 'right', render: (v: number) => formatCents(v) },
              ]}
            />
          )}
        </div>
      )}
    </Drawer>
  );
}
