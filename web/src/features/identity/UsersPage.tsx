import { useEffect, useState } from 'react';
import { App, Button, Card, Form, Input, Modal, Popconfirm, Select, Space, Table, Tag, Tooltip } from 'antd';
import { PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { api, unwrap } from '../../api/client';
import type { Role, Scopes, User, Warehouse } from '../../api/types';
import LoadMore from '../../components/LoadMore';
import { errorText, useCursorList } from '../../components/useCursorList';
import { formatTime } from '../../format';
import { useI18n, type MsgKey } from '../../i18n';

const SCOPE_KINDS: { kind: string; label: MsgKey; testId: string }[] = [
  { kind: 'warehouse', label: 'users.scopeWarehouse', testId: 'user-scope-warehouse' },
  { kind: 'store', label: 'users.scopeStore', testId: 'user-scope-store' },
  { kind: 'channel', label: 'users.scopeChannel', testId: 'user-scope-channel' },
];

interface FormValues {
  username: string;
  display_name: string;
  password?: string;
  roles: string[];
  scope_warehouse: string[];
  scope_store: string[];
  scope_channel: string[];
}

function scopesFromForm(v: FormValues): Scopes {
  const out: Scopes = {};
  for (const { kind } of SCOPE_KINDS) {
    const codes = (v[`scope_${kind}` as keyof FormValues] as string[] | undefined) ?? [];
    if (codes.length) out[kind] = codes;
  }
  return out;
}

function isLocked(u: User): boolean {
  return Boolean(u.locked_until && new Date(u.locked_until.endsWith('Z') ? u.locked_until : `${u.locked_until}Z`) > new Date());
}

export default function UsersPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [q, setQ] = useState('');
  const [roles, setRoles] = useState<Role[]>([]);
  const [warehouses, setWarehouses] = useState<Warehouse[]>([]);
  const [editing, setEditing] = useState<User | 'new' | null>(null);
  const [saving, setSaving] = useState(false);
  const [form] = Form.useForm<FormValues>();

  const list = useCursorList<User>(
    (cursor) =>
      unwrap(
        api.GET('/api/v1/identity/users', { params: { query: { ...(q ? { q } : {}), ...(cursor ? { cursor } : {}) } } }),
      ),
    [q],
  );

  useEffect(() => {
    unwrap(api.GET('/api/v1/identity/roles')).then(setRoles).catch(() => setRoles([]));
    unwrap(api.GET('/api/v1/inventory/warehouses')).then(setWarehouses).catch(() => setWarehouses([]));
  }, []);

  const roleName = (code: string) => roles.find((r) => r.code === code)?.name ?? code;

  const open = (u: User | 'new') => {
    setEditing(u);
    form.resetFields();
    if (u !== 'new') {
      form.setFieldsValue({
        username: u.username,
        display_name: u.display_name,
        roles: u.roles,
        scope_warehouse: u.scopes.warehouse ?? [],
        scope_store: u.scopes.store ?? [],
        scope_channel: u.scopes.channel ?? [],
      });
    }
  };

  const replace = (u: User) => list.setItems((items) => items.map((x) => (x.id === u.id ? u : x)));

  const save = async () => {
    const v = await form.validateFields();
    setSaving(true);
    try {
      if (editing === 'new') {
        await unwrap(
          api.POST('/api/v1/identity/users', {
            body: { username: v.username, display_name: v.display_name, password: v.password ?? '', roles: v.roles ?? [], scopes: scopesFromForm(v) },
          }),
        );
        message.success(t('common.created'));
        setEditing(null);
        await list.reload();
      } else if (editing) {
        const body: Record<string, unknown> = { display_name: v.display_name, roles: v.roles ?? [], scopes: scopesFromForm(v) };
        if (v.password) body.password = v.password;
        const u = await unwrap(
          api.PATCH('/api/v1/identity/users/{user_id}', { params: { path: { user_id: editing.id } }, body }),
        );
        replace(u);
        message.success(t('common.saved'));
        setEditing(null);
      }
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setSaving(false);
    }
  };

  const setActive = async (u: User, is_active: boolean) => {
    try {
      replace(await unwrap(api.PATCH('/api/v1/identity/users/{user_id}', { params: { path: { user_id: u.id } }, body: { is_active } })));
      message.success(t('common.saved'));
    } catch (e) {
      message.error(errorText(e));
    }
  };

  const unlock = async (u: User) => {
    try {
      replace(await unwrap(api.POST('/api/v1/identity/users/{user_id}/unlock', { params: { path: { user_id: u.id } } })));
      message.success(t('common.saved'));
    } catch (e) {
      message.error(errorText(e));
    }
  };

  return (
    <Card
      size="small"
      title={t('users.title')}
      extra={
        <Space>
          <Input.Search
            allowClear
            placeholder={t('users.search')}
            onSearch={(v) => setQ(v.trim())}
            style={{ width: 240 }}
            data-testid="user-search"
          />
          <Button icon={<ReloadOutlined />} onClick={() => list.reload()} />
          <Button type="primary" icon={<PlusOutlined />} onClick={() => open('new')} data-testid="user-new">
            {t('users.new')}
          </Button>
        </Space>
      }
    >
      <Table<User>
        size="small"
        rowKey="id"
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        data-testid="users-table"
        columns={[
          { title: t('users.username'), dataIndex: 'username', render: (v: string) => <span data-testid="user-username">{v}</span> },
          { title: t('users.displayName'), dataIndex: 'display_name' },
          {
            title: t('users.roles'),
            dataIndex: 'roles',
            render: (rs: string[]) => rs.map((r) => <Tag key={r} color="blue">{roleName(r)}</Tag>),
          },
          {
            title: t('users.scopes'),
            dataIndex: 'scopes',
            render: (s: Scopes) => {
              const kinds = SCOPE_KINDS.filter(({ kind }) => s?.[kind]?.length);
              if (!kinds.length) return <Tag>{t('users.unrestricted')}</Tag>;
              return kinds.map(({ kind, label }) => (
                <Tooltip key={kind} title={t(label)}>
                  <Tag>
                    {t(label)}: {s[kind].join(', ')}
                  </Tag>
                </Tooltip>
              ));
            },
          },
          {
            title: t('users.status'),
            key: 'status',
            render: (_, u) => (
              <Space size={2}>
                {u.is_active ? <Tag color="green">{t('users.active')}</Tag> : <Tag color="default">{t('users.disabled')}</Tag>}
                {isLocked(u) && <Tag color="red">{t('users.locked')}</Tag>}
              </Space>
            ),
          },
          { title: t('users.lastLogin'), dataIndex: 'last_login_at', render: (v: string | null) => formatTime(v) },
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_, u) => (
              <Space size={0}>
                <Button type="link" size="small" onClick={() => open(u)} data-testid={`user-edit-${u.username}`}>
                  {t('common.edit')}
                </Button>
                <Button type="link" size="small" danger={u.is_active} onClick={() => setActive(u, !u.is_active)}>
                  {u.is_active ? t('users.disable') : t('users.enable')}
                </Button>
                {isLocked(u) && (
                  <Popconfirm title={t('users.unlock')} onConfirm={() => unlock(u)}>
                    <Button type="link" size="small">{t('users.unlock')}</Button>
                  </Popconfirm>
                )}
              </Space>
            ),
          },
        ]}
      />
      <LoadMore count={list.items.length} hasMore={Boolean(list.next)} loading={list.loading} onLoadMore={list.loadMore} />

      <Modal
        open={editing !== null}
        title={editing === 'new' ? t('users.new') : t('users.edit')}
        onCancel={() => setEditing(null)}
        onOk={save}
        confirmLoading={saving}
        okText={t('common.save')}
        cancelText={t('common.cancel')}
        okButtonProps={{ 'data-testid': 'user-save' }}
        forceRender
      >
        <Form form={form} layout="vertical" size="middle" initialValues={{ roles: [], scope_warehouse: [], scope_store: [], scope_channel: [] }}>
          <Form.Item name="username" label={t('users.username')} rules={[{ required: true }]}>
            <Input disabled={editing !== 'new'} autoComplete="off" data-testid="user-form-username" />
          </Form.Item>
          <Form.Item name="display_name" label={t('users.displayName')} rules={[{ required: true }]}>
            <Input data-testid="user-form-display-name" />
          </Form.Item>
          <Form.Item
            name="password"
            label={editing === 'new' ? t('users.password') : t('users.newPassword')}
            rules={editing === 'new' ? [{ required: true }] : []}
          >
            <Input.Password autoComplete="new-password" data-testid="user-form-password" />
          </Form.Item>
          <Form.Item name="roles" label={t('users.roles')}>
            <Select
              mode="multiple"
              data-testid="user-form-roles"
              options={roles.map((r) => ({ value: r.code, label: `${r.name} (${r.code})` }))}
              optionFilterProp="label"
            />
          </Form.Item>
          {SCOPE_KINDS.map(({ kind, label, testId }) => (
            <Form.Item key={kind} name={`scope_${kind}`} label={`${t('users.scopes')} · ${t(label)}`} extra={t('users.scopeHint')}>
              {kind === 'warehouse' ? (
                <Select mode="multiple" data-testid={testId} options={warehouses.map((w) => ({ value: w.code, label: `${w.code} ${w.name}` }))} />
              ) : (
                <Select mode="tags" data-testid={testId} placeholder={t('users.tagsPlaceholder')} open={false} tokenSeparators={[',', ' ']} />
              )}
            </Form.Item>
          ))}
        </Form>
      </Modal>
    </Card>
  );
}
