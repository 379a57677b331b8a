// 类目: the category tree. Pick a category to rename, move or re-order it; add a top-level
// category or a subcategory; delete one that has neither subcategories nor products.
import { useMemo, useState } from 'react';
import { App, Button, Card, Col, Empty, Form, Input, InputNumber, Popconfirm, Row, Space, Tree, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { api, unwrap } from '../../api/client';
import type { Category } from '../../api/types';
import { useAuth } from '../../auth';
import { errorText } from '../../components/useCursorList';
import { useI18n } from '../../i18n';
import { CategorySelect, categoryTree, useCategories, type CategoryNode } from './catalogCommon';

interface FormValues {
  code: string;
  name: string;
  parent: string | null;
  sort: number;
}

export default function CategoriesPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const { can } = useAuth();
  const manage = can('catalog.category.manage');
  const [categories, reload] = useCategories();
  const [selected, setSelected] = useState<Category | 'new' | null>(null);
  const [saving, setSaving] = useState(false);
  const [form] = Form.useForm<FormValues>();

  const tree = useMemo(() => {
    const decorate = (nodes: CategoryNode[]): CategoryNode[] =>
      nodes.map((n) => ({
        ...n,
        title: `${n.category.name} (${n.category.code})${n.category.product_count ? ` · ${t('catalog.productsN', { n: n.category.product_count })}` : ''}`,
        children: decorate(n.children),
      }));
    return decorate(categoryTree(categories));
  }, [categories, t]);

  const pick = (c: Category | 'new', parent?: string | null) => {
    setSelected(c);
    form.resetFields();
    if (c === 'new') form.setFieldsValue({ parent: parent ?? null, sort: 0 });
    else form.setFieldsValue({ code: c.code, name: c.name, parent: c.parent_code, sort: c.sort });
  };

  const save = async () => {
    const v = await form.validateFields();
    setSaving(true);
    try {
      let saved: Category;
      if (selected === 'new') {
        saved = await unwrap(
          api.POST('/api/v1/catalog/categories', { body: { code: v.code.trim(), name: v.name.trim(), parent: v.parent ?? null, sort: v.sort ?? 0 } }),
        );
        message.success(t('common.created'));
      } else if (selected) {
        saved = await unwrap(
          api.PATCH('/api/v1/catalog/categories/{category_id}', {
            params: { path: { category_id: selected.id } },
            body: { name: v.name.trim(), parent: v.parent ?? null, sort: v.sort ?? 0 },
          }),
        );
        message.success(t('common.saved'));
      } else return;
      await reload();
      setSelected(saved);
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setSaving(false);
    }
  };

  const remove = async (c: Category) => {
    try {
      await unwrap(api.DELETE('/api/v1/catalog/categories/{category_id}', { params: { path: { category_id: c.id } } }));
      message.success(t('common.deleted'));
      setSelected(null);
      await reload();
    } catch (e) {
      message.error(errorText(e));
    }
  };

  const current = selected && selected !== 'new' ? categories.find((c) => c.id === selected.id) ?? null : null;

  return (
    <Card
      size="small"
      title={t('catalog.categories')}
      extra={
        manage && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => pick('new')} data-testid="category-new">
            {t('catalog.newCategory')}
          </Button>
        )
      }
    >
      <Row gutter={24}>
        <Col span={10}>
          {tree.length ? (
            <Tree<CategoryNode>
              blockNode
              defaultExpandAll
              treeData={tree}
              selectedKeys={current ? [current.code] : []}
              onSelect={(_, info) => pick(info.node.category)}
              data-testid="category-tree"
            />
          ) : (
            <Empty description={t('catalog.noCategories')} />
          )}
        </Col>
        <Col span={14}>
          {selected ? (
            <Card size="small" title={selected === 'new' ? t('catalog.newCategory') : `${current?.name ?? ''} (${current?.code ?? ''})`} data-testid="category-form">
              <Form form={form} layout="vertical" disabled={!manage}>
                <Form.Item name="code" label={t('catalog.code')} rules={[{ required: true, pattern: /^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$/, message: t('catalog.badCode') }]}>
                  <Input disabled={selected !== 'new'} data-testid="category-form-code" />
                </Form.Item>
                <Form.Item name="name" label={t('catalog.name')} rules={[{ required: true, whitespace: true, max: 100 }]}>
                  <Input data-testid="category-form-name" />
                </Form.Item>
                <Form.Item name="parent" label={t('catalog.parentCategory')}>
                  <CategorySelect categories={categories} exclude={current?.code} placeholder={t('catalog.topLevel')} testId="category-form-parent" />
                </Form.Item>
                <Form.Item name="sort" label={t('catalog.sort')}>
                  <InputNumber precision={0} style={{ width: 160 }} />
                </Form.Item>
                {manage && (
                  <Space>
                    <Button type="primary" loading={saving} onClick={save} data-testid="category-save">
                      {t('common.save')}
                    </Button>
                    {current && (
                      <>
                        <Button icon={<PlusOutlined />} onClick={() => pick('new', current.code)} data-testid="category-add-child">
                          {t('catalog.addChild')}
                        </Button>
                        <Popconfirm title={t('common.confirmDelete')} onConfirm={() => remove(current)}>
                          <Button danger icon={<DeleteOutlined />} data-testid="category-delete">
                            {t('common.delete')}
                          </Button>
                        </Popconfirm>
                      </>
                    )}
                  </Space>
                )}
              </Form>
            </Card>
          ) : (
            <Typography.Text type="secondary">{t('catalog.pickCategory')}</Typography.Text>
          )}
        </Col>
      </Row>
    </Card>
  );
}
