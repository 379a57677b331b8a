// 品牌: brands, with how many products carry each.
import { useState } from 'react';
import { App, Button, Card, Form, Input, Modal, Popconfirm, Space, Table } from 'antd';
import { PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { api, unwrap } from '../../api/client';
import type { Brand } from '../../api/types';
import { useAuth } from '../../auth';
import { errorText } from '../../components/useCursorList';
import { useI18n } from '../../i18n';
import { useBrands } from './catalogCommon';

export default function BrandsPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const { can } = useAuth();
  const manage = can('catalog.brand.manage');
  const [brands, reload] = useBrands();
  const [editing, setEditing] = useState<Brand | 'new' | null>(null);
  const [saving, setSaving] = useState(false);
  const [form] = Form.useForm<{ code: string; name: string }>();

  const open = (b: Brand | 'new') => {
    setEditing(b);
    form.resetFields();
    if (b !== 'new') form.setFieldsValue({ code: b.code, name: b.name });
  };

  const save = async () => {
    const v = await form.validateFields();
    setSaving(true);
    try {
      if (editing === 'new') {
        await unwrap(api.POST('/api/v1/catalog/brands', { body: { code: v.code.trim(), name: v.name.trim() } }));
        message.success(t('common.created'));
      } else if (editing) {
        await unwrap(api.PATCH('/api/v1/catalog/brands/{brand_id}', { params: { path: { brand_id: editing.id } }, body: { name: v.name.trim() } }));
        message.success(t('common.saved'));
      }
      setEditing(null);
      await reload();
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setSaving(false);
    }
  };

  const remove = async (b: Brand) => {
    try {
      await unwrap(api.DELETE('/api/v1/catalog/brands/{brand_id}', { params: { path: { brand_id: b.id } } }));
      message.success(t('common.deleted'));
      await reload();
    } catch (e) {
      message.error(errorText(e));
    }
  };

  return (
    <Card
      size="small"
      title={t('catalog.brands')}
      extra={
        <Space>
          <Button icon={<ReloadOutlined />} onClick={() => reload()} />
          {manage && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => open('new')} data-testid="brand-new">
              {t('catalog.newBrand')}
            </Button>
          )}
        </Space>
      }
    >
      <Table<Brand>
        size="small"
        rowKey="id"
        dataSource={brands}
        pagination={false}
        data-testid="brands-table"
        columns={[
          { title: t('catalog.code'), dataIndex: 'code' },
          { title: t('catalog.name'), dataIndex: 'name' },
          { title: t('catalog.productCount'), dataIndex: 'product_count', align: 'right' },
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_, b) =>
              manage && (
                <Space size={0}>
                  <Button type="link" size="small" onClick={() => open(b)}>
                    {t('common.edit')}
                  </Button>
                  <Popconfirm title={t('common.confirmDelete')} onConfirm={() => remove(b)}>
                    <Button type="link" size="small" danger>
                      {t('common.delete')}
                    </Button>
                  </Popconfirm>
                </Space>
              ),
          },
        ]}
      />
      <Modal
        open={editing !== null}
        title={editing === 'new' ? t('catalog.newBrand') : t('catalog.editBrand')}
        onCancel={() => setEditing(null)}
        onOk={save}
        confirmLoading={saving}
        okText={t('common.save')}
        cancelText={t('common.cancel')}
        okButtonProps={{ 'data-testid': 'brand-save' }}
        forceRender
      >
        <Form form={form} layout="vertical">
          <Form.Item name="code" label={t('catalog.code')} rules={[{ required: true, pattern: /^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$/, message: t('catalog.badCode') }]}>
            <Input disabled={editing !== 'new'} data-testid="brand-form-code" />
          </Form.Item>
          <Form.Item name="name" label={t('catalog.name')} rules={[{ required: true, whitespace: true, max: 100 }]}>
            <Input data-testid="brand-form-name" />
          </Form.Item>
        </Form>
      </Modal>
    </Card>
  );
}
