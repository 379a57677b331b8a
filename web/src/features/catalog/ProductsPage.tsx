// 商品列表: products (SPU) with filters, archive, Excel export/import and the import template.
import { useRef, useState } from 'react';
import { Alert, App, Button, Card, Input, Modal, Select, Space, Table, Typography, Upload } from 'antd';
import { DownloadOutlined, FileExcelOutlined, PlusOutlined, ReloadOutlined, UploadOutlined } from '@ant-design/icons';
import { Link, useNavigate } from 'react-router-dom';
import { api, ApiError, unwrap } from '../../api/client';
import type { ImportResult, ImportRowError, Product } from '../../api/types';
import { useAuth } from '../../auth';
import LoadMore from '../../components/LoadMore';
import { errorText, useCursorList } from '../../components/useCursorList';
import { useUrlFilters } from '../../components/useUrlFilters';
import { useI18n } from '../../i18n';
import { formatCents } from '../../money';
import { BrandSelect, CategorySelect, ProductImage, ProductStatusTag, fileBody, saveBlob, useBrands, useCategories } from './catalogCommon';

type Status = 'active' | 'archived';

function priceRange(p: Product): string {
  if (p.price_min_cents == null) return '-';
  if (p.price_min_cents === p.price_max_cents) return formatCents(p.price_min_cents);
  return `${formatCents(p.price_min_cents)} ~ ${formatCents(p.price_max_cents)}`;
}

export default function ProductsPage() {
  const { t, lang } = useI18n();
  const { message, modal } = App.useApp();
  const { can } = useAuth();
  const navigate = useNavigate();
  const { params, setFilter } = useUrlFilters();
  const q = params.get('q') ?? '';
  const category = params.get('category') ?? '';
  const brand = params.get('brand') ?? '';
  const status = (params.get('status') ?? 'active') as Status | 'all';
  const [categories] = useCategories();
  const [brands] = useBrands();
  const [importing, setImporting] = useState(false);
  const [exporting, setExporting] = useState(false);
  const [result, setResult] = useState<{ ok?: ImportResult; errors?: ImportRowError[]; message?: string } | null>(null);
  const busy = useRef(false);

  const filters = {
    ...(q ? { q } : {}),
    ...(category ? { category } : {}),
    ...(brand ? { brand } : {}),
    ...(status !== 'all' ? { status } : {}),
  };

  const list = useCursorList<Product>(
    (cursor) => unwrap(api.GET('/api/v1/catalog/products', { params: { query: { ...filters, ...(cursor ? { cursor } : {}) } } })),
    [q, category, brand, status],
  );

  const setStatus = (p: Product, archive: boolean) => {
    const run = async () => {
      try {
        const path = archive ? '/api/v1/catalog/products/{product_id}/archive' : '/api/v1/catalog/products/{product_id}/unarchive';
        await unwrap(api.POST(path, { params: { path: { product_id: p.id } } }));
        message.success(archive ? t('catalog.archived') : t('catalog.unarchived'));
        await list.reload();
      } catch (e) {
        message.error(errorText(e));
      }
    };
    if (!archive) return void run();
    modal.confirm({ title: t('catalog.confirmArchive', { code: p.code }), content: t('catalog.archiveHint'), onOk: run, okButtonProps: { danger: true } });
  };

  const exportFile = async () => {
    setExporting(true);
    try {
      const blob = await unwrap(api.GET('/api/v1/catalog/excel/export', { params: { query: filters }, parseAs: 'blob' }));
      saveBlob(blob as unknown as Blob, `products-${new Date().toISOString().slice(0, 10)}.xlsx`);
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setExporting(false);
    }
  };

  const template = async () => {
    try {
      const blob = await unwrap(api.GET('/api/v1/catalog/excel/template', { parseAs: 'blob' }));
      saveBlob(blob as unknown as Blob, lang === 'zh-CN' ? '商品导入模板.xlsx' : 'product-import-template.xlsx');
    } catch (e) {
      message.error(errorText(e));
    }
  };

  const importFile = async (file: File) => {
    if (busy.current) return;
    busy.current = true;
    setImporting(true);
    try {
      const ok = await unwrap(api.POST('/api/v1/catalog/excel/import', fileBody(file)));
      setResult({ ok });
      await list.reload();
    } catch (e) {
      if (e instanceof ApiError && Array.isArray(e.problem.errors)) {
        setResult({ errors: e.problem.errors as ImportRowError[], message: e.message });
      } else {
        setResult({ message: errorText(e) });
      }
    } finally {
      busy.current = false;
      setImporting(false);
    }
  };

  return (
    <Card
      size="small"
      title={t('catalog.products')}
      extra={
        <Space wrap>
          <Button icon={<ReloadOutlined />} onClick={() => list.reload()} />
          <Button icon={<DownloadOutlined />} onClick={template} data-testid="product-template">
            {t('catalog.template')}
          </Button>
          <Button icon={<FileExcelOutlined />} loading={exporting} onClick={exportFile} data-testid="product-export">
            {t('catalog.export')}
          </Button>
          {can('catalog.import') && (
            <Upload
              accept=".xlsx"
              showUploadList={false}
              beforeUpload={(file) => {
                void importFile(file);
                return false;
              }}
            >
              <Button icon={<UploadOutlined />} loading={importing} data-testid="product-import">
                {t('catalog.import')}
              </Button>
            </Upload>
          )}
          {can('catalog.product.create') && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/catalog/products/new')} data-testid="product-new">
              {t('catalog.newProduct')}
            </Button>
          )}
        </Space>
      }
    >
      <Space wrap style={{ marginBottom: 8 }}>
        <Input.Search
          allowClear
          defaultValue={q}
          placeholder={t('catalog.productSearch')}
          style={{ width: 260 }}
          onSearch={(v) => setFilter('q', v.trim())}
          data-testid="product-search"
        />
        <CategorySelect categories={categories} value={category || null} onChange={(v) => setFilter('category', v ?? '')} style={{ width: 200 }} testId="product-filter-category" />
        <BrandSelect brands={brands} value={brand || null} onChange={(v) => setFilter('brand', v ?? '')} style={{ width: 180 }} testId="product-filter-brand" />
        <Select
          style={{ width: 120 }}
          value={status}
          onChange={(v) => setFilter('status', v === 'active' ? '' : v)}
          data-testid="product-filter-status"
          options={[
            { value: 'active', label: t('catalog.status.active') },
            { value: 'archived', label: t('catalog.status.archived') },
            { value: 'all', label: t('common.all') },
          ]}
        />
      </Space>
      <Table<Product>
        size="small"
        rowKey="id"
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        data-testid="products-table"
        columns={[
          {
            title: t('catalog.image'),
            key: 'image',
            width: 64,
            render: (_, p) => (p.images.length ? <ProductImage name={p.images[0]} size={40} /> : null),
          },
          {
            title: t('catalog.productCode'),
            dataIndex: 'code',
            render: (v: string, p) => (
              <Link to={`/catalog/products/${p.id}`} data-testid="product-code">
                {v}
              </Link>
            ),
          },
          { title: t('catalog.productName'), dataIndex: 'name' },
          { title: t('catalog.category'), dataIndex: 'category_name', render: (v: string | null) => v ?? '-' },
          { title: t('catalog.brand'), dataIndex: 'brand_name', render: (v: string | null) => v ?? '-' },
          { title: t('catalog.skuCount'), dataIndex: 'sku_count', align: 'right', render: (v: number) => <span data-testid="product-sku-count">{v}</span> },
          { title: t('skus.priceCol'), key: 'price', align: 'right', render: (_, p) => priceRange(p) },
          { title: t('common.status'), dataIndex: 'status', render: (v: string) => <ProductStatusTag status={v} /> },
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_, p) =>
              can('catalog.product.update') ? (
                <Space size={0}>
                  <Button type="link" size="small" onClick={() => navigate(`/catalog/products/${p.id}`)}>
                    {t('common.edit')}
                  </Button>
                  <Button type="link" size="small" danger={p.status === 'active'} onClick={() => setStatus(p, p.status === 'active')} data-testid="product-archive">
                    {p.status === 'active' ? t('catalog.archive') : t('catalog.unarchive')}
                  </Button>
                </Space>
              ) : null,
          },
        ]}
      />
      <LoadMore count={list.items.length} hasMore={Boolean(list.next)} loading={list.loading} onLoadMore={list.loadMore} />
      <Modal
        open={result !== null}
        title={result?.ok ? t('catalog.importDone') : t('catalog.importFailed')}
        onCancel={() => setResult(null)}
        onOk={() => setResult(null)}
        cancelButtonProps={{ style: { display: 'none' } }}
        okText={t('common.close')}
        width={result?.errors ? 860 : 480}
        data-testid="import-result"
      >
        {result?.ok && (
          <Typography.Paragraph data-testid="import-summary">
            {t('catalog.importSummary', {
              rows: result.ok.rows,
              products: result.ok.products_created,
              created: result.ok.skus_created,
              updated: result.ok.skus_updated,
              unchanged: result.ok.skus_unchanged,
            })}
          </Typography.Paragraph>
        )}
        {!result?.ok && result?.message && <Alert type="error" showIcon message={result.message} style={{ marginBottom: 8 }} />}
        {result?.errors && (
          <Table<ImportRowError>
            size="small"
            rowKey={(e) => `${e.row}/${e.column}/${e.code}/${e.en}`}
            dataSource={result.errors}
            pagination={{ pageSize: 20, hideOnSinglePage: true }}
            data-testid="import-errors"
            columns={[
              { title: t('catalog.importRow'), dataIndex: 'row', width: 70 },
              { title: t('catalog.importColumn'), key: 'column', width: 140, render: (_, e) => (lang === 'zh-CN' ? e.column_zh : e.column_en) || '-' },
              { title: t('catalog.importReason'), key: 'reason', render: (_, e) => (lang === 'zh-CN' ? e.zh : e.en) },
            ]}
          />
        )}
      </Modal>
    </Card>
  );
}
