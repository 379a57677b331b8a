import { useCallback, useEffect, useMemo, useState } from 'react';
import { App, Button, Card, Checkbox, Col, Divider, Form, Input, Modal, Popconfirm, Row, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { api, unwrap } from '../../api/client';
import type { PermissionInfo, Role } from '../../api/types';
import { errorText } from '../../components/useCursorList';
import { areaLabel, useI18n } from '../../i18n';

interface FormValues {
  code: string;
  name: string;
  description: string;
  permissions: string[];
}

export default function RolesPage() {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const [roles, setRoles] = useState<Role[]>([]);
  const [perms, setPerms] = useState<PermissionInfo[]>([]);
  const [loading, setLoading] = useState(false);
  const [editing, setEditing] = useState<Role | 'new' | null>(null);
  const [saving, setSaving] = useState(false);
  const [form] = Form.useForm<FormValues>();

  const load = useCallback(async () => {
    setLoading(true);
    try {
      setRoles(await unwrap(api.GET('/api/v1/identity/roles')));
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setLoading(false);
    }
  }, [message]);

  useEffect(() => {
    void load();
    unwrap(api.GET('/api/v1/identity/permissions')).then(setPerms).catch(() => setPerms([]));
  }, [load]);

  const label = useCallback((p: PermissionInfo) => (lang === 'zh-CN' ? p.zh : p.en), [lang]);
  const permLabel = (code: string) => {
    if (code === '*') return t('roles.all');
    const p = perms.find((x) => x.code === code);
    return p ? label(p) : code;
  };

  // Group permissions by business area: the first segment of `area.object.action`.
  const groups = useMemo(() => {
    const m = new Map<string, PermissionInfo[]>();
    for (const p of perms) {
      const area = p.code.split('.')[0];
      m.set(area, [...(m.get(area) ?? []), p]);
    }
    return [...m.entries()].sort(([a], [b]) => a.localeCompare(b));
  }, [perms]);

  // Granted strings that are not single permissions ("*", "inventory.*", "catalog.*.read"): kept as
  // their own checkboxes so saving the role does not drop them.
  const extras = useMemo(() => {
    if (editing === null || editing === 'new') return [];
    return editing.permissions.filter((code) => !perms.some((p) => p.code === code));
  }, [editing, perms]);

  const open = (r: Role | 'new') => {
    setEditing(r);
    form.resetFields();
    if (r !== 'new') form.setFieldsValue({ code: r.code, name: r.name, description: r.description, permissions: r.permissions });
  };

  const save = async () => {
    const v = await form.validateFields();
    setSaving(true);
    try {
      const body = { name: v.name, description: v.description ?? '', permissions: v.permissions ?? [] };
      if (editing === 'new') {
        await unwrap(api.POST('/api/v1/identity/roles', { body: { code: v.code, ...body } }));
        message.success(t('common.created'));
      } else if (editing) {
        await unwrap(api.PATCH('/api/v1/identity/roles/{role_id}', { params: { path: { role_id: editing.id } }, body }));
        message.success(t('common.saved'));
      }
      setEditing(null);
      await load();
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setSaving(false);
    }
  };

  const remove = async (r: Role) => {
    try {
      await api.DELETE('/api/v1/identity/roles/{role_id}', { params: { path: { role_id: r.id } } });
      message.success(t('common.deleted'));
      await load();
    } catch (e) {
      message.error(errorText(e));
    }
  };

  return (
    <Card
      size="small"
      title={t('roles.title')}
      extra={
        <Space>
          <Button icon={<ReloadOutlined />} onClick={load} />
          <Button type="primary" icon={<PlusOutlined />} onClick={() => open('new')} data-testid="role-new">
            {t('roles.new')}
          </Button>
        </Space>
      }
    >
      <Table<Role>
        size="small"
        rowKey="id"
        loading={loading}
        dataSource={roles}
        pagination={false}
        data-testid="roles-table"
        columns={[
          { title: t('roles.code'), dataIndex: 'code', width: 160 },
          {
            title: t('roles.name'),
            dataIndex: 'name',
            width: 180,
            render: (v: string, r) => (
              <Space size={4}>
                {v}
                {r.builtin && <Tag color="gold">{t('roles.builtin')}</Tag>}
              </Space>
            ),
          },
          { title: t('roles.description'), dataIndex: 'description' },
          {
            title: t('roles.permissions'),
            dataIndex: 'permissions',
            render: (ps: string[]) => (
              <div style={{ maxWidth: 520 }}>
                {ps.slice(0, 8).map((p) => (
                  <Tag key={p}>{permLabel(p)}</Tag>
                ))}
                {ps.length > 8 && <Tooltip title={ps.slice(8).map(permLabel).join('、')}><Tag>+{ps.length - 8}</Tag></Tooltip>}
              </div>
            ),
          },
          { title: t('roles.userCount'), dataIndex: 'user_count', width: 90, align: 'right' },
          {
            title: t('common.actions'),
            key: 'actions',
            width: 140,
            render: (_, r) => (
              <Space size={0}>
                <Button type="link" size="small" onClick={() => open(r)}>
                  {t('common.edit')}
                </Button>
                {r.builtin ? (
                  <Tooltip title={t('roles.builtinNoDelete')}>
                    <Button type="link" size="small" disabled>
                      {t('common.delete')}
                    </Button>
                  </Tooltip>
                ) : (
                  <Popconfirm title={t('common.confirmDelete')} onConfirm={() => remove(r)}>
                    <Button type="link" size="small" danger>
                      {t('common.delete')}
                    </Button>
                  </Popconfirm>
                )}
              </Space>
            ),
          },
        ]}
      />
      <Modal
        open={editing !== null}
        width={760}
        title={editing === 'new' ? t('roles.new') : t('roles.edit')}
        onCancel={() => setEditing(null)}
        onOk={save}
        confirmLoading={saving}
        okText={t('common.save')}
        cancelText={t('common.cancel')}
        forceRender
      >
        <Form form={form} layout="vertical" initialValues={{ permissions: [], description: '' }}>
          <Row gutter={12}>
            <Col span={8}>
              <Form.Item name="code" label={t('roles.code')} rules={[{ required: true }]}>
                <Input disabled={editing !== 'new'} data-testid="role-form-code" />
              </Form.Item>
            </Col>
            <Col span={16}>
              <Form.Item name="name" label={t('roles.name')} rules={[{ required: true }]}>
                <Input data-testid="role-form-name" />
              </Form.Item>
            </Col>
          </Row>
          <Form.Item name="description" label={t('roles.description')}>
            <Input.TextArea rows={2} />
          </Form.Item>
          <Form.Item name="permissions" label={t('roles.permissions')}>
            <Checkbox.Group style={{ width: '100%' }}>
              <div style={{ width: '100%' }}>
                {extras.length > 0 && (
                  <div>
                    <Divider orientation="left" plain style={{ margin: '8px 0' }}>
                      <Typography.Text strong>{t('roles.patterns')}</Typography.Text>
                    </Divider>
                    <Row gutter={[8, 4]}>
                      {extras.map((code) => (
                        <Col span={8} key={code}>
                          <Checkbox value={code}>{permLabel(code)}</Checkbox>
                        </Col>
                      ))}
                    </Row>
                  </div>
                )}
                {groups.map(([area, ps]) => (
                  <div key={area}>
                    <Divider orientation="left" plain style={{ margin: '8px 0' }}>
                      <Typography.Text strong>{areaLabel(t, area)}</Typography.Text>
                    </Divider>
                    <Row gutter={[8, 4]}>
                      {ps.map((p) => (
                        <Col span={8} key={p.code}>
                          <Tooltip title={p.code}>
                            <Checkbox value={p.code} data-testid={`perm-${p.code}`}>
                              {label(p)}
                            </Checkbox>
                          </Tooltip>
                        </Col>
                      ))}
                    </Row>
                  </div>
                ))}
              </div>
            </Checkbox.Group>
          </Form.Item>
        </Form>
      </Modal>
    </Card>
  );
}
