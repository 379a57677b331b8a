// 采购退货: goods returned to suppliers, newest first (cursor paged), filtered by supplier; a row
// opens its purchase order.
import { Button, Card, Select, Space, Table, Typography } from 'antd';
import { ReloadOutlined } from '@ant-design/icons';
import { useNavigate } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import type { SupplierReturnRow } from '../../api/types';
import LoadMore from '../../components/LoadMore';
import { useCursorList } from '../../components/useCursorList';
import { useUrlFilters } from '../../components/useUrlFilters';
import { formatTime } from '../../format';
import { useI18n } from '../../i18n';
import { formatCents } from '../../money';
import { useSuppliers } from './purchasingCommon';

export default function SupplierReturnsPage() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const { params, setFilter } = useUrlFilters();
  const supplier = params.get('supplier') ?? '';
  const [suppliers] = useSuppliers();
  const list = useCursorList<SupplierReturnRow>(
    (cursor) =>
      unwrap(
        api.GET('/api/v1/purchasing/returns', {
          params: { query: { ...(supplier ? { supplier } : {}), ...(cursor ? { cursor } : {}) } },
        }),
      ),
    [supplier],
  );
  return (
    <Card
      size="small"
      title={<Typography.Text strong>{t('ret.list')}</Typography.Text>}
      extra={
        <Space>
          <Select
            allowClear
            showSearch
            optionFilterProp="label"
            placeholder={t('sup.supplier')}
            style={{ width: 220 }}
            value={supplier || undefined}
            onChange={(v?: string) => setFilter('supplier', v ?? '')}
            options={suppliers.map((s) => ({ value: s.code, label: `${s.code} ${s.name}` }))}
          />
          <Button icon={<ReloadOutlined />} onClick={() => void list.reload()} />
        </Space>
      }
    >
      <Table
        size="small"
        rowKey="id"
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        data-testid="ret-table"
        locale={{ emptyText: t('ret.none') }}
        columns={[
          { title: t('ret.ref'), dataIndex: 'ref' },
          { title: t('doc.at'), dataIndex: 'at', render: formatTime },
          { title: t('sup.supplier'), dataIndex: 'supplier', render: (v: string, r: SupplierReturnRow) => `${v} ${r.supplier_name}` },
          { title: t('doc.warehouse'), dataIndex: 'warehouse' },
          {
            title: t('ret.order'),
            dataIndex: 'order',
            render: (v: string | null, r: SupplierReturnRow) => (v && r.order_id ? <a onClick={() => navigate(`/purchasing/orders?id=${r.order_id}`)}>{v}</a> : '-'),
          },
          {
            title: t('ret.lines'),
            key: 'lines',
            render: (_: unknown, r: SupplierReturnRow) => r.lines.map((l) => `${l.sku} × ${l.qty}`).join('，'),
          },
          { title: t('ret.value'), dataIndex: 'value_cents', align: 'right', render: formatCents },
          { title: t('ret.reason'), dataIndex: 'reason', render: (v: string | null) => v ?? '-' },
          { title: t('doc.createdBy'), dataIndex: 'created_by' },
        ]}
      />
      <LoadMore count={list.items.length} hasMore={Boolean(list.next)} loading={list.loading} onLoadMore={list.loadMore} />
    </Card>
  );
}
