import { useCallback, useEffect, useState } from 'react';
import { Alert, App, Button, Card, Form, Input, InputNumber, Modal, Popconfirm, Space, Table, Tag, Typography } from 'antd';
import { PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { api, unwrap } from '../../api/client';
import type { ApiToken, NewApiToken } from '../../api/types';
import { errorText } from '../../components/useCursorList';
import { formatTime } from '../../format';
import { useI18n } from '../../i18n';

function isPast(v: string | null): boolean {
  return Boolean(v && new Date(v) < new Date());
}

export default function TokensPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [tokens, setTokens] = useState<ApiToken[]>([]);
  const [loading, setLoading] = useState(false);
  const [creating, setCreating] = useState(false);
  const [saving, setSaving] = useState(false);
  const [created, setCreated] = useState<NewApiToken | null>(null);
  const [form] = Form.useForm<{ name: string; expires_in_days: number | null }>();

  const load = useCallback(async () => {
    setLoading(true);
    try {
      setTokens(await unwrap(api.GET('/api/v1/identity/tokens')));
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setLoading(false);
    }
  }, [message]);

  useEffect(() => {
    void load();
  }, [load]);

  const create = async () => {
    const v = await form.validateFields();
    setSaving(true);
    try {
      const tok = await unwrap(
        api.POST('/api/v1/identity/tokens', { body: { name: v.name, expires_in_days: v.expires_in_days ?? null } }),
      );
      setCreating(false);
      setCreated(tok);
      await load();
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setSaving(false);
    }
  };

  const revoke = async (tok: ApiToken) => {
    try {
      await api.DELETE('/api/v1/identity/tokens/{token_id}', { params: { path: { token_id: tok.id } } });
      message.success(t('tokens.revoked'));
      await load();
    } catch (e) {
      message.error(errorText(e));
    }
  };

  return (
    <Card
      size="small"
      title={t('tokens.title')}
      extra={
        <Space>
          <Button icon={<ReloadOutlined />} onClick={load} />
          <Button
            type="primary"
            icon={<PlusOutlined />}
            data-testid="token-new"
            onClick={() => {
              form.resetFields();
              setCreating(true);
            }}
          >
            {t('tokens.new')}
          </Button>
        </Space>
      }
    >
      <Table<ApiToken>
        size="small"
        rowKey="id"
        loading={loading}
        dataSource={tokens}
        pagination={false}
        data-testid="tokens-table"
        columns={[
          { title: t('tokens.name'), dataIndex: 'name' },
          { title: t('tokens.prefix'), dataIndex: 'prefix', render: (v: string) => <Typography.Text code>{v}…</Typography.Text> },
          { title: t('tokens.createdAt'), dataIndex: 'created_at', render: formatTime },
          { title: t('tokens.expiresAt'), dataIndex: 'expires_at', render: (v: string | null) => (v ? formatTime(v) : '∞') },
          { title: t('tokens.lastUsed'), dataIndex: 'last_used_at', render: formatTime },
          {
            title: t('common.status'),
            key: 'status',
            render: (_, r) =>
              r.revoked_at ? (
                <Tag color="red">{t('tokens.revoked')}</Tag>
              ) : isPast(r.expires_at) ? (
                <Tag>{t('tokens.expired')}</Tag>
              ) : (
                <Tag color="green">{t('tokens.valid')}</Tag>
              ),
          },
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_, r) =>
              !r.revoked_at && (
                <Popconfirm title={t('tokens.confirmRevoke')} onConfirm={() => revoke(r)}>
                  <Button type="link" size="small" danger>
                    {t('tokens.revoke')}
                  </Button>
                </Popconfirm>
              ),
          },
        ]}
      />
      <Modal
        open={creating}
        title={t('tokens.new')}
        onCancel={() => setCreating(false)}
        onOk={create}
        confirmLoading={saving}
        okText={t('common.create')}
        cancelText={t('common.cancel')}
        okButtonProps={{ 'data-testid': 'token-save' }}
        forceRender
      >
        <Form form={form} layout="vertical" initialValues={{ expires_in_days: 90 }}>
          <Form.Item name="name" label={t('tokens.name')} rules={[{ required: true, max: 64 }]}>
            <Input data-testid="token-form-name" />
          </Form.Item>
          <Form.Item name="expires_in_days" label={t('tokens.expiresInDays')}>
            <InputNumber min={1} max={3650} precision={0} style={{ width: '100%' }} />
          </Form.Item>
        </Form>
      </Modal>
      <Modal
        open={created !== null}
        title={created?.name}
        onCancel={() => setCreated(null)}
        footer={<Button onClick={() => setCreated(null)}>{t('common.close')}</Button>}
      >
        <Alert type="warning" showIcon message={t('tokens.showOnce')} style={{ marginBottom: 12 }} />
        <Typography.Paragraph copyable={{ text: created?.token ?? '' }} code data-testid="token-value" style={{ wordBreak: 'break-all' }}>
          {created?.token}
        </Typography.Paragraph>
      </Modal>
    </Card>
  );
}
