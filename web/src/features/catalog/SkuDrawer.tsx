// SKU 详情: a SKU's fields, its barcodes, (of a bundle) its components, and its stock — for a
// bundle, the kits its components make in each warehouse.
import { useEffect, useState } from 'react';
import { Alert, Descriptions, Drawer, Empty, Spin, Table, Tag, Typography } from 'antd';
import { Link } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import type { Availability, SkuDetail } from '../../api/types';
import { useAuth } from '../../auth';
import { errorText } from '../../components/useCursorList';
import { costMethodLabel, optLabel, useI18n } from '../../i18n';
import { formatCents, formatQty } from '../../money';
import { SkuKindTag } from './catalogCommon';

export default function SkuDrawer({ skuId, onClose }: { skuId: number | null; onClose: () => void }) {
  const { t } = useI18n();
  const { can } = useAuth();
  const [sku, setSku] = useState<SkuDetail | null>(null);
  const [stock, setStock] = useState<Availability | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  useEffect(() => {
    setSku(null);
    setStock(null);
    setError(null);
    if (skuId === null) return;
    let live = true;
    setLoading(true);
    unwrap(api.GET('/api/v1/catalog/skus/{sku_id}', { params: { path: { sku_id: skuId } } }))
      .then(async (s) => {
        if (!live) return;
        setSku(s);
        if (can('inventory.stock.read')) {
          const rows = await unwrap(api.GET('/api/v1/inventory/availability', { params: { query: { sku: [s.code] } } }));
          if (live) setStock(rows[0] ?? null);
        }
      })
      .catch((e) => live && setError(errorText(e)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [skuId, can]);

  return (
    <Drawer open={skuId !== null} onClose={onClose} width={720} title={t('catalog.skuDetail')} destroyOnClose>
      {loading && <Spin />}
      {error && <Alert type="error" showIcon message={error} />}
      {sku && (
        <div data-testid="sku-detail">
          <Descriptions size="small" column={2} bordered>
            <Descriptions.Item label={t('skus.code')}>
              <Typography.Text strong data-testid="sku-detail-code">
                {sku.code}
              </Typography.Text>{' '}
              <SkuKindTag kind={sku.kind} />
            </Descriptions.Item>
            <Descriptions.Item label={t('skus.name')}>{sku.name}</Descriptions.Item>
            <Descriptions.Item label={t('catalog.product')}>
              {sku.product_id ? <Link to={`/catalog/products/${sku.product_id}`}>{sku.product_code}</Link> : t('catalog.standalone')}
            </Descriptions.Item>
            <Descriptions.Item label={t('catalog.attributes')}>
              {sku.attributes && Object.keys(sku.attributes).length
                ? Object.entries(sku.attributes).map(([k, v]) => (
                    <Tag key={k}>
                      {k}: {v}
                    </Tag>
                  ))
                : '-'}
            </Descriptions.Item>
            <Descriptions.Item label={t('skus.priceCol')}>{formatCents(sku.price_cents)}</Descriptions.Item>
            <Descriptions.Item label={t('skus.unit')}>{sku.unit}</Descriptions.Item>
            <Descriptions.Item label={t('skus.costMethod')}>{costMethodLabel(t, sku.cost_method)}</Descriptions.Item>
            <Descriptions.Item label={t('skus.safety')}>{formatQty(sku.safety_stock)}</Descriptions.Item>
            <Descriptions.Item label={t('catalog.tracking')}>{optLabel(t, 'catalog.tracking', sku.tracking)}</Descriptions.Item>
            <Descriptions.Item label={t('catalog.shelfLife')}>{sku.shelf_life_days ?? '-'}</Descriptions.Item>
            <Descriptions.Item label={t('common.status')}>
              {sku.active ? <Tag color="green">{t('common.active')}</Tag> : <Tag>{t('common.inactive')}</Tag>}
            </Descriptions.Item>
            <Descriptions.Item label={t('catalog.barcodes')} span={2}>
              <span data-testid="sku-detail-barcodes">
                {sku.barcodes.length ? sku.barcodes.map((b) => <Tag key={b}>{b}</Tag>) : t('catalog.noBarcodes')}
              </span>
            </Descriptions.Item>
          </Descriptions>
          {sku.kind === 'bundle' && (
            <>
              <Typography.Title level={5} style={{ marginTop: 16 }}>
                {t('catalog.components')}
              </Typography.Title>
              <Table
                size="small"
                rowKey="sku_id"
                pagination={false}
                dataSource={sku.components}
                data-testid="sku-detail-components"
                columns={[
                  { title: t('skus.code'), dataIndex: 'code' },
                  { title: t('skus.name'), dataIndex: 'name' },
                  { title: t('catalog.qtyPerBundle'), dataIndex: 'qty', align: 'right' },
                ]}
              />
            </>
          )}
          {stock && (
            <>
              <Typography.Title level={5} style={{ marginTop: 16 }}>
                {sku.kind === 'bundle' ? t('catalog.bundleStock') : t('catalog.stock')}
              </Typography.Title>
              {stock.warehouses.length ? (
                <Table
                  size="small"
                  rowKey="warehouse"
                  pagination={false}
                  dataSource={stock.warehouses}
                  data-testid="sku-detail-stock"
                  columns={[
                    { title: t('stock.warehouse'), dataIndex: 'warehouse' },
                    { title: t('stock.onHand'), dataIndex: 'on_hand', align: 'right', render: (v: number) => formatQty(v) },
                    { title: t('stock.reserved'), dataIndex: 'reserved', align: 'right', render: (v: number) => formatQty(v) },
                    { title: t('stock.available'), dataIndex: 'available', align: 'right', render: (v: number) => formatQty(v) },
                  ]}
                />
              ) : (
                <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('catalog.noStock')} />
              )}
            </>
          )}
        </div>
      )}
    </Drawer>
  );
}
