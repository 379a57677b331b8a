import { useState } from 'react';
import { Button, Card, DatePicker, Descriptions, Form, Input, Space, Table, Tag, Typography } from 'antd';
import { SearchOutlined } from '@ant-design/icons';
import type { Dayjs } from 'dayjs';
import { useSearchParams } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import type { AuditEntry } from '../../api/types';
import LoadMore from '../../components/LoadMore';
import { useCursorList } from '../../components/useCursorList';
import { formatTime, toApiTime } from '../../format';
import { useI18n } from '../../i18n';

interface Filters {
  actor?: string;
  action?: string;
  entity_type?: string;
  entity_id?: string;
  since?: string;
  until?: string;
}

function show(v: unknown): string {
  if (v === undefined) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Before/after side by side, one row per field; changed fields highlighted. */
function Diff({ entry }: { entry: AuditEntry }) {
  const { t } = useI18n();
  const before = entry.before;
  const after = entry.after;
  if (!isRecord(before) && !isRecord(after)) {
    return (
      <Descriptions size="small" column={1} bordered>
        <Descriptions.Item label={t('audit.before')}>{show(before) || '-'}</Descriptions.Item>
        <Descriptions.Item label={t('audit.after')}>{show(after) || '-'}</Descriptions.Item>
      </Descriptions>
    );
  }
  const b = isRecord(before) ? before : {};
  const a = isRecord(after) ? after : {};
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
  const rows = keys.map((k) => ({ key: k, before: show(b[k]), after: show(a[k]), changed: show(b[k]) !== show(a[k]) }));
  return (
    <div data-testid="audit-diff">
      <Table
        size="small"
        pagination={false}
        rowKey="key"
        dataSource={rows}
        columns={[
          { title: t('audit.field'), dataIndex: 'key', width: 180, render: (v: string) => <Typography.Text code>{v}</Typography.Text> },
          {
            title: t('audit.before'),
            dataIndex: 'before',
            render: (v: string, r) => <span style={r.changed && isRecord(before) ? { background: '#fff1f0', textDecoration: 'line-through' } : undefined}>{v}</span>,
          },
          {
            title: t('audit.after'),
            dataIndex: 'after',
            render: (v: string, r) => <span style={r.changed && isRecord(after) ? { background: '#f6ffed' } : undefined}>{v}</span>,
          },
        ]}
      />
      {entry.request_id && (
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t('audit.requestId')}: {entry.request_id}
        </Typography.Text>
      )}
    </div>
  );
}

export default function AuditPage() {
  const { t } = useI18n();
  const [params] = useSearchParams();
  const initial: Filters = {
    actor: params.get('actor') ?? undefined,
    action: params.get('action') ?? undefined,
    entity_type: params.get('entity_type') ?? undefined,
    entity_id: params.get('entity_id') ?? undefined,
  };
  const [filters, setFilters] = useState<Filters>(initial);
  const [form] = Form.useForm();

  const list = useCursorList<AuditEntry>(
    (cursor) => {
      const query: Record<string, string> = {};
      for (const [k, v] of Object.entries(filters)) if (v) query[k] = v;
      if (cursor) query.cursor = cursor;
      return unwrap(api.GET('/api/v1/audit', { params: { query } }));
    },
    [JSON.stringify(filters)],
  );

  const apply = (v: { actor?: string; action?: string; entity_type?: string; entity_id?: string; range?: [Dayjs | null, Dayjs | null] | null }) => {
    const [from, to] = v.range ?? [null, null];
    setFilters({
      actor: v.actor?.trim() || undefined,
      action: v.action?.trim() || undefined,
      entity_type: v.entity_type?.trim() || undefined,
      entity_id: v.entity_id?.trim() || undefined,
      since: from ? toApiTime(from.startOf('day')) : undefined,
      until: to ? toApiTime(to.add(1, 'day').startOf('day')) : undefined,
    });
  };

  return (
    <Card size="small" title={t('audit.title')}>
      <Form form={form} layout="inline" onFinish={apply} initialValues={initial} style={{ marginBottom: 12, rowGap: 8 }}>
        <Form.Item name="actor" label={t('audit.actor')}>
          <Input allowClear style={{ width: 130 }} data-testid="audit-filter-actor" />
        </Form.Item>
        <Form.Item name="action" label={t('audit.action')}>
          <Input allowClear style={{ width: 190 }} placeholder="identity.user" data-testid="audit-filter-action" />
        </Form.Item>
        <Form.Item name="entity_type" label={t('audit.entityType')}>
          <Input allowClear style={{ width: 120 }} data-testid="audit-filter-entity-type" />
        </Form.Item>
        <Form.Item name="entity_id" label={t('audit.entityId')}>
          <Input allowClear style={{ width: 100 }} />
        </Form.Item>
        <Form.Item name="range" label={t('audit.range')}>
          <DatePicker.RangePicker allowEmpty={[true, true]} />
        </Form.Item>
        <Form.Item>
          <Space>
            <Button type="primary" htmlType="submit" icon={<SearchOutlined />} data-testid="audit-search">
              {t('common.search')}
            </Button>
            <Button
              onClick={() => {
                form.resetFields();
                form.setFieldsValue({ actor: undefined, action: undefined, entity_type: undefined, entity_id: undefined, range: null });
                setFilters({});
              }}
            >
              {t('common.reset')}
            </Button>
          </Space>
        </Form.Item>
      </Form>
      <Table<AuditEntry>
        size="small"
        rowKey="id"
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        data-testid="audit-table"
        expandable={{ expandedRowRender: (r) => <Diff entry={r} /> }}
        columns={[
          { title: t('audit.at'), dataIndex: 'at', width: 170, render: (v: string) => formatTime(v) },
          { title: t('audit.actor'), dataIndex: 'actor_name', width: 120 },
          { title: t('audit.action'), dataIndex: 'action', render: (v: string) => <Tag color="blue" data-testid="audit-action">{v}</Tag> },
          { title: t('audit.entityType'), dataIndex: 'entity_type', width: 130 },
          { title: t('audit.entityId'), dataIndex: 'entity_id', width: 110 },
        ]}
      />
      <LoadMore count={list.items.length} hasMore={Boolean(list.next)} loading={list.loading} onLoadMore={list.loadMore} />
    </Card>
  );
}
