import { useState } from 'react';
import { Button, Card, Input, Select, Space, Table, Typography } from 'antd';
import { PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { api, unwrap } from '../../api/client';
import type { DocumentRow } from '../../api/types';
import LoadMore from '../../components/LoadMore';
import { useCursorList } from '../../components/useCursorList';
import { formatTime } from '../../format';
import { useUrlFilters } from '../../components/useUrlFilters';
import { useWarehouses } from '../../components/useWarehouses';
import { useI18n, type MsgKey } from '../../i18n';
import { formatQty } from '../../money';
import DocumentDrawer from './DocumentDrawer';
import DocumentForm from './DocumentForm';
import { DOC_KINDS, DocKindTag, DocStatusTag, isDocKind, reasonText, useAdjustmentReasons, type DocKind } from './docCommon';

const NEW_BUTTONS: { kind: DocKind; label: MsgKey }[] = [
  { kind: 'receipt', label: 'doc.newReceipt' },
  { kind: 'transfer', label: 'doc.newTransfer' },
  { kind: 'count', label: 'doc.newCount' },
  { kind: 'adjustment', label: 'doc.newAdjustment' },
];

export default function DocumentsPage() {
  const { t, lang } = useI18n();
  const { params, setFilter } = useUrlFilters();
  const kindParam = params.get('kind');
  const kind = isDocKind(kindParam) ? kindParam : '';
  const warehouse = params.get('warehouse') ?? '';
  const q = params.get('q') ?? '';
  const docParam = Number(params.get('doc'));
  const openDoc = Number.isSafeInteger(docParam) && docParam > 0 ? docParam : null;
  const warehouses = useWarehouses();
  const [formKind, setFormKind] = useState<DocKind | null>(null);
  const reasons = useAdjustmentReasons();

  const list = useCursorList<DocumentRow>(
    (cursor) =>
      unwrap(
        api.GET('/api/v1/inventory/documents', {
          params: {
            query: {
              ...(kind ? { kind } : {}),
              ...(warehouse ? { warehouse } : {}),
              ...(q ? { q } : {}),
              ...(cursor ? { cursor } : {}),
            },
          },
        }),
      ),
    [kind, warehouse, q],
  );

  return (
    <Card
      size="small"
      title={t('doc.title')}
      extra={
        <Space wrap>
          {NEW_BUTTONS.map((b) => (
            <Button key={b.kind} size="small" type={b.kind === 'receipt' ? 'primary' : 'default'} icon={<PlusOutlined />} onClick={() => setFormKind(b.kind)} data-testid={`doc-new-${b.kind}`}>
              {t(b.label)}
            </Button>
          ))}
        </Space>
      }
    >
      <Space wrap style={{ marginBottom: 8 }}>
        <Select
          size="small"
          style={{ width: 140 }}
          value={kind}
          onChange={(v) => setFilter('kind', v)}
          data-testid="doc-filter-kind"
          options={[{ value: '', label: t('doc.allKinds') }, ...DOC_KINDS.map((k) => ({ value: k, label: t(`doc.kind.${k}` as MsgKey) }))]}
        />
        <Select
          size="small"
          style={{ width: 180 }}
          value={warehouse}
          onChange={(v) => setFilter('warehouse', v)}
          data-testid="doc-filter-warehouse"
          options={[{ value: '', label: t('stock.allWarehouses') }, ...warehouses.map((w) => ({ value: w.code, label: `${w.code} ${w.name}` }))]}
        />
        <Input.Search
          size="small"
          key={q}
          allowClear
          defaultValue={q}
          placeholder={t('doc.refSearch')}
          style={{ width: 220 }}
          onSearch={(v) => setFilter('q', v.trim())}
          data-testid="doc-search"
        />
        <Button size="small" icon={<ReloadOutlined />} onClick={() => void list.reload()} data-testid="doc-refresh">
          {t('common.refresh')}
        </Button>
      </Space>
      <Table<DocumentRow>
        size="small"
        rowKey="id"
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        scroll={{ x: 1200 }}
        data-testid="doc-table"
        onRow={(r) => ({ onClick: () => setFilter('doc', String(r.id)), style: { cursor: 'pointer' } })}
        columns={[
          { title: t('doc.kind'), dataIndex: 'kind', width: 80, render: (v: string) => <DocKindTag kind={v} /> },
          {
            title: t('doc.ref'),
            dataIndex: 'ref',
            width: 215,
            render: (v: string) => (
              <Typography.Link data-testid="doc-ref">{v}</Typography.Link>
            ),
          },
          { title: t('doc.status'), dataIndex: 'status', width: 90, render: (v: string) => <DocStatusTag status={v} /> },
          {
            title: t('doc.warehouse'),
            key: 'wh',
            width: 200,
            render: (_, r) => (r.to_warehouse ? `${r.warehouse} → ${r.to_warehouse}` : r.warehouse),
          },
          { title: t('doc.at'), dataIndex: 'at', width: 165, render: (v: string) => formatTime(v) },
          { title: t('doc.partner'), dataIndex: 'partner', width: 120, render: (v: string | null) => v || '-' },
          { title: t('doc.reason'), key: 'reason', width: 110, render: (_, r) => reasonText(t, lang, reasons, r) },
          { title: t('doc.lines'), dataIndex: 'lines', width: 70, align: 'right', render: (v: number) => formatQty(v) },
          { title: t('doc.createdBy'), dataIndex: 'created_by', width: 110, render: (v: string) => v || '-' },
          { title: t('doc.note'), dataIndex: 'note', ellipsis: true, render: (v: string | null) => v || '-' },
        ]}
      />
      <LoadMore count={list.items.length} hasMore={Boolean(list.next)} loading={list.loading} onLoadMore={list.loadMore} />
      <DocumentForm
        kind={formKind}
        warehouses={warehouses}
        reasons={reasons}
        onClose={() => setFormKind(null)}
        onPosted={(doc, k) => {
          void list.reload();
          if (k !== 'transfer' || doc.status !== 'rejected') setFilter('doc', String(doc.id));
        }}
      />
      <DocumentDrawer docId={openDoc} onClose={() => setFilter('doc', '')} />
    </Card>
  );
}
