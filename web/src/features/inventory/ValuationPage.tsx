import { useState } from 'react';
import { App, Button, Card, DatePicker, Segmented, Select, Space, Table, Typography } from 'antd';
import { DownloadOutlined, SearchOutlined } from '@ant-design/icons';
import dayjs, { type Dayjs } from 'dayjs';
import { api, unwrap } from '../../api/client';
import { saveDownload } from '../../api/download';
import type { ValuationReportRow } from '../../api/types';
import LoadMore from '../../components/LoadMore';
import { errorText, useCursorList } from '../../components/useCursorList';
import { formatTime } from '../../format';
import { useWarehouses } from '../../components/useWarehouses';
import { useI18n } from '../../i18n';
import { formatCents, formatQty } from '../../money';

interface Query {
  at: string;
  group: 'sku' | 'warehouse' | 'category';
  warehouse: string;
}

/** Quantity and value of stock as of any past moment, per warehouse and SKU or per warehouse. */
export default function ValuationPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const warehouses = useWarehouses();
  const [at, setAt] = useState<Dayjs>(() => dayjs());
  const [group, setGroup] = useState<Query['group']>('sku');
  const [warehouse, setWarehouse] = useState('');
  // "As of 10:15:30" means after everything dated within that second.
  const asOf = (d: Dayjs) => d.endOf('second').utc().format('YYYY-MM-DDTHH:mm:ss.SSS');
  const [query, setQuery] = useState<Query>(() => ({ at: asOf(at), group, warehouse }));
  const [totals, setTotals] = useState<{ qty: number; value: number; at: string } | null>(null);
  const [exporting, setExporting] = useState(false);

  const params = () => ({
    at: query.at,
    group: query.group,
    ...(query.warehouse ? { warehouse: query.warehouse } : {}),
  });

  const list = useCursorList<ValuationReportRow>(
    async (cursor) => {
      const rep = await unwrap(
        api.GET('/api/v1/inventory/valuation-report', { params: { query: { ...params(), ...(cursor ? { cursor } : {}) } } }),
      );
      setTotals({ qty: rep.total_qty, value: rep.total_value_cents, at: rep.at });
      return rep;
    },
    [query.at, query.group, query.warehouse],
  );

  const run = () => setQuery({ at: asOf(at), group, warehouse });

  const exportExcel = async () => {
    setExporting(true);
    try {
      const name = await saveDownload(
        api.GET('/api/v1/inventory/valuation-report/export', { params: { query: params() }, parseAs: 'blob' }),
        'valuation.xlsx',
      );
      message.success(t('stock.exported', { name }));
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setExporting(false);
    }
  };

  const bySku = query.group === 'sku';
  const uncategorized = t('valuation.uncategorized');
  const columns = bySku
    ? [
        { title: t('stock.warehouse'), dataIndex: 'warehouse', width: 120 },
        { title: t('stock.sku'), dataIndex: 'sku', width: 170 },
        { title: t('stock.name'), dataIndex: 'sku_name' },
      ]
    : query.group === 'category'
    ? [
        { title: t('valuation.category'), dataIndex: 'category', width: 140, render: (v: string | null) => v ?? uncategorized },
        { title: t('valuation.categoryName'), dataIndex: 'category_name', render: (v: string | null) => v ?? uncategorized },
        { title: t('stock.warehouse'), dataIndex: 'warehouse', width: 120 },
        { title: t('valuation.skus'), dataIndex: 'skus', align: 'right' as const, render: formatQty },
      ]
    : [
        { title: t('stock.warehouse'), dataIndex: 'warehouse', width: 120 },
        { title: t('valuation.warehouseName'), dataIndex: 'warehouse_name' },
        { title: t('valuation.skus'), dataIndex: 'skus', align: 'right' as const, render: formatQty },
      ];

  return (
    <Card
      size="small"
      title={t('valuation.title')}
      extra={
        <Space wrap>
          <Space size={4}>
            <Typography.Text>{t('valuation.at')}</Typography.Text>
            <DatePicker
              showTime
              format="YYYY-MM-DD HH:mm:ss"
              allowClear={false}
              value={at}
              onChange={(v) => v && setAt(v)}
              data-testid="valuation-at"
            />
          </Space>
          <Segmented
            value={group}
            onChange={(v) => setGroup(v as Query['group'])}
            data-testid="valuation-group"
            options={[
              { value: 'sku', label: <span data-testid="valuation-group-sku">{t('valuation.group.sku')}</span> },
              { value: 'warehouse', label: <span data-testid="valuation-group-warehouse">{t('valuation.group.warehouse')}</span> },
              { value: 'category', label: <span data-testid="valuation-group-category">{t('valuation.group.category')}</span> },
            ]}
          />
          <Select
            style={{ width: 170 }}
            value={warehouse}
            onChange={setWarehouse}
            data-testid="valuation-warehouse"
            options={[{ value: '', label: t('stock.allWarehouses') }, ...warehouses.map((w) => ({ value: w.code, label: `${w.code} ${w.name}` }))]}
          />
          <Button type="primary" icon={<SearchOutlined />} onClick={run} data-testid="valuation-run">
            {t('valuation.query')}
          </Button>
          <Button icon={<DownloadOutlined />} loading={exporting} onClick={exportExcel} data-testid="valuation-export">
            {t('stock.export')}
          </Button>
        </Space>
      }
    >
      <Typography.Paragraph type="secondary" style={{ marginBottom: 8 }}>
        {t('valuation.at')}: <span data-testid="valuation-at-shown">{totals ? formatTime(totals.at) : '-'}</span> · {t('valuation.rule')}
      </Typography.Paragraph>
      <Table<ValuationReportRow>
        size="small"
        rowKey={(r) => `${r.warehouse}/${r.sku ?? ''}/${r.category ?? ''}`}
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        data-testid="valuation-table"
        columns={[
          ...columns,
          { title: t('valuation.qty'), dataIndex: 'qty', align: 'right', render: formatQty },
          { title: t('valuation.value'), dataIndex: 'value_cents', align: 'right', render: (v: number) => formatCents(v) },
        ]}
        summary={() =>
          totals ? (
            <Table.Summary.Row>
              <Table.Summary.Cell index={0} colSpan={columns.length}>
                <Typography.Text strong>{t('valuation.total')}</Typography.Text>
              </Table.Summary.Cell>
              <Table.Summary.Cell index={1} align="right">
                <Typography.Text strong data-testid="valuation-total-qty">{formatQty(totals.qty)}</Typography.Text>
              </Table.Summary.Cell>
              <Table.Summary.Cell index={2} align="right">
                <Typography.Text strong data-testid="valuation-total-value">{formatCents(totals.value)}</Typography.Text>
              </Table.Summary.Cell>
            </Table.Summary.Row>
          ) : null
        }
      />
      {bySku && <LoadMore count={list.items.length} hasMore={Boolean(list.next)} loading={list.loading} onLoadMore={list.loadMore} />}
    </Card>
  );
}
