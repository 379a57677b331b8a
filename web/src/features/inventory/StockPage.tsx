import { useState } from 'react';
import { App, Button, Card, Input, Select, Space, Switch, Table, Typography } from 'antd';
import { DownloadOutlined } from '@ant-design/icons';
import { Link } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import { saveDownload } from '../../api/download';
import type { StockRow } from '../../api/types';
import LoadMore from '../../components/LoadMore';
import { errorText, useCursorList } from '../../components/useCursorList';
import { useUrlFilters } from '../../components/useUrlFilters';
import { useWarehouses } from '../../components/useWarehouses';
import { useI18n } from '../../i18n';
import { formatCents, formatQty } from '../../money';
import { TRANSIT_WAREHOUSE, WarehouseCode } from './transitCommon';

export default function StockPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const { params, setFilter } = useUrlFilters();
  const warehouse = params.get('warehouse') ?? '';
  const q = params.get('q') ?? '';
  const low = params.get('low') === '1';
  const reserved = params.get('reserved') === '1';
  const zero = params.get('zero') === '1';
  const bin = params.get('bin') ?? '';
  const warehouses = useWarehouses();
  const [exporting, setExporting] = useState(false);

  // The same filters for the list and its export.
  const query = {
    ...(warehouse ? { warehouse } : {}),
    ...(q ? { q } : {}),
    ...(low ? { low: true } : {}),
    ...(reserved ? { has_reservations: true } : {}),
    ...(zero ? { show_zero: true } : {}),
    ...(bin ? { bin } : {}),
  };

  const exportExcel = async () => {
    setExporting(true);
    try {
      const name = await saveDownload(
        api.GET('/api/v1/inventory/stock/export', { params: { query }, parseAs: 'blob' }),
        'stock.xlsx',
      );
      message.success(t('stock.exported', { name }));
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setExporting(false);
    }
  };

  const list = useCursorList<StockRow>(
    (cursor) =>
      unwrap(api.GET('/api/v1/inventory/stock', {
          params: { query: { ...query, ...(cursor ? { cursor } : {}) } },
        }),
      ),
    [warehouse, q, low, reserved, zero, bin],
  );

  /** Move a SKU to another bin of its warehouse (an empty code takes it off its bin). */
  const saveBin = async (r: StockRow, code: string) => {
    try {
      await unwrap(
        api.PUT('/api/v1/inventory/bins', { body: { warehouse: r.warehouse, lines: [{ sku: r.sku, bin: code.trim() || null }] } }),
      );
      message.success(t('bin.saved', { sku: r.sku }));
      list.reload();
    } catch (e) {
      message.error(errorText(e));
    }
  };

  const ledgerLink = (r: StockRow) => `/inventory/ledger?sku=${encodeURIComponent(r.sku)}&warehouse=${encodeURIComponent(r.warehouse)}`;

  return (
    <Card
      size="small"
      title={t('stock.title')}
      extra={
        <Space wrap>
          <Select
            style={{ width: 180 }}
            value={warehouse}
            onChange={(v) => setFilter('warehouse', v)}
            data-testid="stock-warehouse"
            options={[
              { value: '', label: t('stock.allWarehouses') },
              ...warehouses.map((w) => ({ value: w.code, label: `${w.code} ${w.name}` })),
              { value: TRANSIT_WAREHOUSE, label: t('transit.warehouse') },
            ]}
          />
          <Input.Search
            allowClear
            defaultValue={q}
            placeholder={t('stock.skuSearch')}
            style={{ width: 220 }}
            onSearch={(v) => setFilter('q', v.trim())}
            data-testid="stock-search"
          />
          <Input.Search
            allowClear
            defaultValue={bin}
            placeholder={t('bin.filter')}
            style={{ width: 140 }}
            onSearch={(v) => setFilter('bin', v.trim())}
            data-testid="stock-bin"
          />
          <Space size={4}>
            <Switch size="small" checked={low} onChange={(v) => setFilter('low', v ? '1' : '')} data-testid="stock-low" />
            <Typography.Text>{t('stock.lowOnly')}</Typography.Text>
          </Space>
          <Space size={4}>
            <Switch size="small" checked={reserved} onChange={(v) => setFilter('reserved', v ? '1' : '')} data-testid="stock-reserved" />
            <Typography.Text>{t('stock.reservedOnly')}</Typography.Text>
          </Space>
          <Space size={4}>
            <Switch size="small" checked={zero} onChange={(v) => setFilter('zero', v ? '1' : '')} data-testid="stock-zero" />
            <Typography.Text>{t('stock.showZero')}</Typography.Text>
          </Space>
          <Button icon={<DownloadOutlined />} loading={exporting} onClick={exportExcel} data-testid="stock-export">
            {t('stock.export')}
          </Button>
        </Space>
      }
    >
      <Table<StockRow>
        size="small"
        rowKey={(r) => `${r.warehouse}/${r.sku}`}
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        data-testid="stock-table"
        columns={[
          { title: t('stock.warehouse'), dataIndex: 'warehouse', width: 120, render: (v: string) => <WarehouseCode code={v} /> },
          {
            title: t('stock.sku'),
            dataIndex: 'sku',
            width: 160,
            render: (v: string, r) => (
              <Link to={ledgerLink(r)} data-testid="stock-sku-link">
                {v}
              </Link>
            ),
          },
          { title: t('stock.name'), dataIndex: 'sku_name' },
          {
            title: t('bin.bin'),
            dataIndex: 'bin',
            width: 130,
            render: (v: string | null, r) =>
              r.warehouse === TRANSIT_WAREHOUSE ? (
                '-'
              ) : (
                <Typography.Text
                  editable={{ onChange: (code) => code !== (v ?? '') && void saveBin(r, code), tooltip: t('bin.edit'), text: v ?? '' }}
                  data-testid="stock-bin-cell"
                >
                  {v ?? ''}
                </Typography.Text>
              ),
          },
          { title: t('stock.onHand'), dataIndex: 'on_hand', align: 'right', render: formatQty },
          { title: t('stock.reserved'), dataIndex: 'reserved', align: 'right', render: formatQty },
          {
            title: t('stock.available'),
            dataIndex: 'available',
            align: 'right',
            render: (v: number, r) =>
              r.warehouse === TRANSIT_WAREHOUSE ? (
                '-'
              ) : (
                <Typography.Text type={r.safety_stock > 0 && v < r.safety_stock ? 'danger' : undefined}>{formatQty(v)}</Typography.Text>
              ),
          },
          {
            title: t('stock.safety'),
            dataIndex: 'safety_stock',
            align: 'right',
            render: (v: number, r) => (r.warehouse === TRANSIT_WAREHOUSE ? '-' : formatQty(v)),
          },
          { title: t('stock.value'), dataIndex: 'value_cents', align: 'right', render: (v: number) => formatCents(v) },
        ]}
      />
      <LoadMore count={list.items.length} hasMore={Boolean(list.next)} loading={list.loading} onLoadMore={list.loadMore} />
    </Card>
  );
}
