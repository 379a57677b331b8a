import { useEffect, useState } from 'react';
import { App, Card, Descriptions, Empty, Input, Select, Space, Table, Tag, Typography } from 'antd';
import { Link } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import type { Move, Valuation } from '../../api/types';
import LoadMore from '../../components/LoadMore';
import { errorText, useCursorList } from '../../components/useCursorList';
import { useUrlFilters } from '../../components/useUrlFilters';
import { useWarehouses } from '../../components/useWarehouses';
import DocumentDrawer, { findDocumentId } from './DocumentDrawer';
import { DocKindTag, isDocKind } from './docCommon';
import { WarehouseCode } from './transitCommon';
import { formatTime } from '../../format';
import { costMethodLabel, kindLabel, useI18n } from '../../i18n';
import { formatCents, formatQty } from '../../money';

export default function LedgerPage() {
  const { t } = useI18n();
  const { params, setFilter } = useUrlFilters();
  const sku = params.get('sku') ?? '';
  const warehouse = params.get('warehouse') ?? '';
  const warehouses = useWarehouses();
  const [valuation, setValuation] = useState<Valuation | null>(null);
  const [docId, setDocId] = useState<number | null>(null);
  const { message } = App.useApp();

  // A move carries its document's number, not its id: look the number up, open the exact match.
  const openByRef = async (ref: string, kind: string) => {
    try {
      const id = await findDocumentId(ref, kind);
      if (id === null) message.warning(t('doc.notFound', { ref }));
      else setDocId(id);
    } catch (e) {
      message.error(errorText(e));
    }
  };

  useEffect(() => {
    setValuation(null);
    if (!sku) return;
    unwrap(api.GET('/api/v1/inventory/valuation/{sku}', { params: { path: { sku } } }))
      .then(setValuation)
      .catch(() => setValuation(null));
  }, [sku]);

  const list = useCursorList<Move>(
    (cursor) =>
      sku
        ? unwrap(api.GET('/api/v1/inventory/moves', {
              params: { query: { sku, ...(warehouse ? { warehouse } : {}), ...(cursor ? { cursor } : {}) } },
            }),
          )
        : Promise.resolve({ items: [], next_cursor: null }),
    [sku, warehouse],
  );

  return (
    <Card
      size="small"
      title={t('ledger.title')}
      extra={
        <Space wrap>
          <Input.Search
            key={sku}
            allowClear
            defaultValue={sku}
            placeholder={t('ledger.sku')}
            style={{ width: 200 }}
            onSearch={(v) => setFilter('sku', v.trim())}
            data-testid="ledger-sku"
          />
          <Select
            style={{ width: 180 }}
            value={warehouse}
            onChange={(v) => setFilter('warehouse', v)}
            data-testid="ledger-warehouse"
            options={[{ value: '', label: t('stock.allWarehouses') }, ...warehouses.map((w) => ({ value: w.code, label: `${w.code} ${w.name}` }))]}
          />
        </Space>
      }
    >
      {!sku ? (
        <Empty description={t('ledger.skuRequired')} />
      ) : (
        <>
          {valuation && (
            <Descriptions size="small" column={4} style={{ marginBottom: 12 }} title={`${valuation.sku} · ${t('ledger.valuation')}`}>
              <Descriptions.Item label={t('ledger.costMethod')}>{costMethodLabel(t, valuation.cost_method)}</Descriptions.Item>
              <Descriptions.Item label={t('ledger.qtyTotal')}>{formatQty(valuation.qty)}</Descriptions.Item>
              <Descriptions.Item label={t('ledger.value')}>{formatCents(valuation.value_cents)}</Descriptions.Item>
            </Descriptions>
          )}
          <Table<Move>
            size="small"
            rowKey="id"
            loading={list.loading}
            dataSource={list.items}
            pagination={false}
            data-testid="ledger-table"
            columns={[
              { title: t('ledger.at'), dataIndex: 'at', width: 170, render: (v: string) => formatTime(v) },
              { title: t('stock.warehouse'), dataIndex: 'warehouse', width: 110, render: (v: string) => <WarehouseCode code={v} /> },
              { title: t('ledger.kind'), dataIndex: 'kind', width: 110, render: (v: string) => <Tag>{kindLabel(t, v)}</Tag> },
              { title: t('doc.lotNo'), dataIndex: 'lot_no', width: 110, render: (v: string | null) => v ?? '-' },
              {
                title: t('ledger.qty'),
                dataIndex: 'qty',
                align: 'right',
                width: 100,
                render: (v: number) => (
                  <Typography.Text style={{ color: v > 0 ? '#389e0d' : v < 0 ? '#cf1322' : undefined }} data-testid="ledger-qty">
                    {v > 0 ? `+${formatQty(v)}` : formatQty(v)}
                  </Typography.Text>
                ),
              },
              { title: t('ledger.value'), dataIndex: 'value_cents', align: 'right', width: 130, render: (v: number) => formatCents(v) },
              {
                title: t('ledger.document'),
                key: 'doc',
                render: (_, r) =>
                  isDocKind(r.doc_type) && r.doc_ref ? (
                    <Space size={4}>
                      <DocKindTag kind={r.doc_type} />
                      <Typography.Link onClick={() => void openByRef(r.doc_ref, r.doc_type)} data-testid="ledger-doc-link">
                        {r.doc_ref}
                      </Typography.Link>
                    </Space>
                  ) : r.doc_type === 'transfer_order' && r.doc_ref ? (
                    <Link to={`/inventory/transfer-orders?q=${encodeURIComponent(r.doc_ref)}`} data-testid="ledger-transfer-link">
                      {t('menu.transferOrders')} {r.doc_ref}
                    </Link>
                  ) : r.doc_type || r.doc_ref ? (
                    `${r.doc_type ?? ''} ${r.doc_ref ?? ''}`.trim()
                  ) : (
                    '-'
                  ),
              },
              { title: t('ledger.reason'), dataIndex: 'reason', render: (v: string | null) => v || '-' },
            ]}
          />
          <LoadMore count={list.items.length} hasMore={Boolean(list.next)} loading={list.loading} onLoadMore={list.loadMore} />
        </>
      )}
      <DocumentDrawer docId={docId} onClose={() => setDocId(null)} />
    </Card>
  );
}
