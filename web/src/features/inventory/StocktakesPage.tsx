// Stocktake sheets (盘点单): the list with filters and the form for a new sheet; a sheet opens on
// its own count screen.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Alert, App, Button, Card, Form, Input, Modal, Radio, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import { EyeInvisibleOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { useNavigate } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import type { Sku, StocktakeRow, Warehouse } from '../../api/types';
import { useAuth } from '../../auth';
import LoadMore from '../../components/LoadMore';
import { errorText, useCursorList } from '../../components/useCursorList';
import { formatTime } from '../../format';
import { useUrlFilters } from '../../components/useUrlFilters';
import { useWarehouses } from '../../components/useWarehouses';
import { useI18n } from '../../i18n';
import { StocktakeStatusTag } from './transitCommon';

const STATUSES = ['open', 'counting', 'recount', 'posted', 'cancelled'] as const;
type Status = (typeof STATUSES)[number];

/** Several SKUs, searched in the catalog as you type. */
function SkuMultiSelect({ value, onChange }: { value?: string[]; onChange?: (codes: string[]) => void }) {
  const { t } = useI18n();
  const [options, setOptions] = useState<Sku[]>([]);
  const timer = useRef<number | undefined>(undefined);
  const run = useCallback((q: string) => {
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => {
      unwrap(api.GET('/api/v1/catalog/skus', { params: { query: { ...(q ? { q } : {}), limit: 20 } } }))
        .then((p) => setOptions(p.items))
        .catch(() => setOptions([]));
    }, 200);
  }, []);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  return (
    <Select
      mode="multiple"
      showSearch
      value={value}
      onChange={onChange}
      filterOption={false}
      onSearch={run}
      onFocus={() => options.length === 0 && run('')}
      placeholder={t('doc.skuPlaceholder')}
      options={options.map((s) => ({ value: s.code, label: `${s.code} ${s.name}` }))}
      style={{ width: '100%' }}
      data-testid="st-form-skus"
    />
  );
}

function NewStocktake({ open, warehouses, onClose, onCreated }: { open: boolean; warehouses: Warehouse[]; onClose: () => void; onCreated: (id: number) => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const scopeKind = Form.useWatch('scope', form) ?? 'all';
  const [categories, setCategories] = useState<{ code: string; name: string }[]>([]);

  useEffect(() => {
    if (open) {
      form.resetFields();
      setError(null);
      unwrap(api.GET('/api/v1/catalog/categories')).then(setCategories).catch(() => setCategories([]));
    }
  }, [open, form]);

  const submit = async () => {
    setError(null);
    let v: { warehouse: string; scope: 'all' | 'skus' | 'category' | 'bin'; skus?: string[]; category?: string; bin?: string; blind?: boolean; note?: string };
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    if (v.scope === 'skus' && !v.skus?.length) {
      setError(t('st.needSkus'));
      return;
    }
    if (v.scope === 'category' && !v.category) {
      setError(t('st.needCategory'));
      return;
    }
    if (v.scope === 'bin' && !v.bin?.trim()) {
      setError(t('st.needBin'));
      return;
    }
    setSaving(true);
    try {
      const sheet = await unwrap(
        api.POST('/api/v1/inventory/stocktakes', {
          body: {
            warehouse: v.warehouse,
            scope:
              v.scope === 'skus'
                ? { kind: 'skus', skus: v.skus ?? [] }
                : v.scope === 'category'
                  ? { kind: 'category', category: v.category! }
                  : v.scope === 'bin'
                    ? { kind: 'bin', bin: v.bin!.trim() }
                    : { kind: 'all' },
            blind: Boolean(v.blind),
            note: v.note?.trim() || null,
          },
        }),
      );
      message.success(t('st.created', { ref: sheet.ref }));
      onCreated(sheet.id);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      open={open}
      title={t('st.new')}
      width={640}
      onCancel={onClose}
      maskClosable={false}
      destroyOnHidden
      okText={t('common.create')}
      onOk={() => void submit()}
      confirmLoading={saving}
      okButtonProps={{ 'data-testid': 'st-form-submit' } as never}
    >
      <div data-testid="st-form">
        {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 8 }} data-testid="st-form-error" />}
        <Form form={form} layout="vertical" size="small" initialValues={{ scope: 'all', blind: false }}>
          <Form.Item name="warehouse" label={t('doc.warehouse')} rules={[{ required: true, message: t('doc.required', { field: t('doc.warehouse') }) }]}>
            <Select
              showSearch
              optionFilterProp="label"
              options={warehouses.filter((w) => w.active !== false).map((w) => ({ value: w.code, label: `${w.code} ${w.name}` }))}
              data-testid="st-form-warehouse"
            />
          </Form.Item>
          <Form.Item name="scope" label={t('st.scope')}>
            <Radio.Group data-testid="st-form-scope">
              <Radio value="all" data-testid="st-form-scope-all">
                {t('st.scope.all')}
              </Radio>
              <Radio value="category" data-testid="st-form-scope-category">
                {t('st.scope.category')}
              </Radio>
              <Radio value="bin" data-testid="st-form-scope-bin">
                {t('st.scope.bin')}
              </Radio>
              <Radio value="skus" data-testid="st-form-scope-skus">
                {t('st.scope.skus')}
              </Radio>
            </Radio.Group>
          </Form.Item>
          {scopeKind === 'bin' && (
            <Form.Item name="bin" label={t('st.bin')} extra={t('st.binHint')}>
              <Input maxLength={32} placeholder="A-01" data-testid="st-form-bin" />
            </Form.Item>
          )}
          {scopeKind === 'category' && (
            <Form.Item name="category" label={t('st.category')}>
              <Select
                showSearch
                optionFilterProp="label"
                options={categories.map((c) => ({ value: c.code, label: `${c.code} ${c.name}` }))}
                data-testid="st-form-category"
              />
            </Form.Item>
          )}
          {scopeKind === 'skus' && (
            <Form.Item name="skus" label={t('st.skus')}>
              <SkuMultiSelect />
            </Form.Item>
          )}
          <Form.Item name="blind" label={t('st.blind')} valuePropName="checked" extra={t('st.blindHint')}>
            <Switch data-testid="st-form-blind" />
          </Form.Item>
          <Form.Item name="note" label={t('doc.note')}>
            <Input maxLength={500} data-testid="st-form-note" />
          </Form.Item>
        </Form>
      </div>
    </Modal>
  );
}

export function scopeText(t: ReturnType<typeof useI18n>['t'], scope: Record<string, unknown>): string {
  if (scope.kind === 'skus' && Array.isArray(scope.skus)) return t('st.scopeShort.skus', { n: scope.skus.length });
  if (scope.kind === 'category') return t('st.scopeShort.category', { category: String(scope.category) });
  if (scope.kind === 'bin') return t('st.scopeShort.bin', { bin: String(scope.bin) });
  return t('st.scopeShort.all');
}

export default function StocktakesPage() {
  const { t } = useI18n();
  const { can } = useAuth();
  const navigate = useNavigate();
  const { params, setFilter } = useUrlFilters();
  const statusParam = params.get('status') ?? '';
  const status = (STATUSES as readonly string[]).includes(statusParam) ? (statusParam as Status) : '';
  const warehouse = params.get('warehouse') ?? '';
  const q = params.get('q') ?? '';
  const warehouses = useWarehouses();
  const [creating, setCreating] = useState(false);

  const list = useCursorList<StocktakeRow>(
    (cursor) =>
      unwrap(
        api.GET('/api/v1/inventory/stocktakes', {
          params: { query: { ...(status ? { status } : {}), ...(warehouse ? { warehouse } : {}), ...(q ? { q } : {}), ...(cursor ? { cursor } : {}) } },
        }),
      ),
    [status, warehouse, q],
  );
  const whOptions = useMemo(() => warehouses.map((w) => ({ value: w.code, label: `${w.code} ${w.name}` })), [warehouses]);

  return (
    <Card
      size="small"
      title={t('st.title')}
      extra={
        can('inventory.stocktake.create') && (
          <Button size="small" type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="st-new">
            {t('st.new')}
          </Button>
        )
      }
    >
      <Space wrap style={{ marginBottom: 8 }}>
        <Select
          size="small"
          style={{ width: 130 }}
          value={status}
          onChange={(v) => setFilter('status', v)}
          data-testid="st-filter-status"
          options={[{ value: '', label: t('st.allStatus') }, ...STATUSES.map((s) => ({ value: s, label: t(`st.status.${s}`) }))]}
        />
        <Select size="small" style={{ width: 180 }} value={warehouse} onChange={(v) => setFilter('warehouse', v)} options={[{ value: '', label: t('stock.allWarehouses') }, ...whOptions]} />
        <Input.Search
          size="small"
          key={q}
          allowClear
          defaultValue={q}
          placeholder={t('st.searchRef')}
          style={{ width: 220 }}
          onSearch={(v) => setFilter('q', v.trim())}
          data-testid="st-search"
        />
        <Button size="small" icon={<ReloadOutlined />} onClick={() => void list.reload()}>
          {t('common.refresh')}
        </Button>
      </Space>
      <Table<StocktakeRow>
        size="small"
        rowKey="id"
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        data-testid="st-table"
        onRow={(r) => ({ onClick: () => navigate(`/inventory/stocktakes/${r.id}`), style: { cursor: 'pointer' } })}
        columns={[
          { title: t('st.ref'), dataIndex: 'ref', width: 200, render: (v: string) => <Typography.Link data-testid="st-ref">{v}</Typography.Link> },
          { title: t('st.status'), dataIndex: 'status', width: 90, render: (v: string) => <StocktakeStatusTag status={v} /> },
          { title: t('doc.warehouse'), dataIndex: 'warehouse', width: 110 },
          {
            title: t('st.scope'),
            key: 'scope',
            width: 170,
            render: (_, r) => (
              <Space size={4}>
                {scopeText(t, r.scope)}
                {r.blind && (
                  <Tag icon={<EyeInvisibleOutlined />} data-testid="st-blind-tag">
                    {t('st.blind')}
                  </Tag>
                )}
              </Space>
            ),
          },
          { title: t('st.progress'), key: 'progress', width: 100, align: 'right', render: (_, r) => `${r.counted_lines} / ${r.lines}` },
          { title: t('st.round'), dataIndex: 'round', width: 60, align: 'right' },
          { title: t('st.createdAt'), dataIndex: 'created_at', width: 160, render: (v: string) => formatTime(v) },
          { title: t('to.createdBy'), dataIndex: 'created_by', width: 100 },
          { title: t('st.postedAt'), dataIndex: 'posted_at', width: 160, render: (v: string | null) => formatTime(v) },
          { title: t('doc.note'), dataIndex: 'note', ellipsis: true, render: (v: string | null) => v || '-' },
        ]}
      />
      <LoadMore count={list.items.length} hasMore={Boolean(list.next)} loading={list.loading} onLoadMore={list.loadMore} />
      <NewStocktake open={creating} warehouses={warehouses} onClose={() => setCreating(false)} onCreated={(id) => navigate(`/inventory/stocktakes/${id}`)} />
    </Card>
  );
}
