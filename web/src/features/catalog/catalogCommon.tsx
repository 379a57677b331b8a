// Shared bits of the catalog screens: categories and brands pickers, authenticated images,
// file downloads and uploads, status tags.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Image, Select, Tag, TreeSelect } from 'antd';
import { PictureOutlined } from '@ant-design/icons';
import { api, unwrap } from '../../api/client';
import type { Brand, Category } from '../../api/types';
import { useI18n } from '../../i18n';

/** Categories and brands, loaded once per page (they are small). */
export function useCategories(): [Category[], () => Promise<void>] {
  const [items, setItems] = useState<Category[]>([]);
  const reload = useCallback(async () => {
    try {
      setItems(await unwrap(api.GET('/api/v1/catalog/categories')));
    } catch {
      setItems([]);
    }
  }, []);
  useEffect(() => {
    void reload();
  }, [reload]);
  return [items, reload];
}

export function useBrands(): [Brand[], () => Promise<void>] {
  const [items, setItems] = useState<Brand[]>([]);
  const reload = useCallback(async () => {
    try {
      setItems(await unwrap(api.GET('/api/v1/catalog/brands')));
    } catch {
      setItems([]);
    }
  }, []);
  useEffect(() => {
    void reload();
  }, [reload]);
  return [items, reload];
}

export interface CategoryNode {
  value: string;
  title: string;
  key: string;
  category: Category;
  children: CategoryNode[];
}

/** The category tree (the API lists parents before children), keyed by code. */
export function categoryTree(items: Category[]): CategoryNode[] {
  const byId = new Map<number, CategoryNode>();
  const roots: CategoryNode[] = [];
  for (const c of items) {
    const node: CategoryNode = { value: c.code, key: c.code, title: `${c.name} (${c.code})`, category: c, children: [] };
    byId.set(c.id, node);
    const parent = c.parent_id != null ? byId.get(c.parent_id) : undefined;
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}

export function CategorySelect({
  categories,
  value,
  onChange,
  testId,
  placeholder,
  exclude,
  style,
}: {
  categories: Category[];
  value?: string | null;
  onChange?: (code: string | null) => void;
  testId?: string;
  placeholder?: string;
  exclude?: string;
  style?: React.CSSProperties;
}) {
  const { t } = useI18n();
  const tree = useMemo(() => {
    const prune = (nodes: CategoryNode[]): CategoryNode[] =>
      nodes.filter((n) => n.value !== exclude).map((n) => ({ ...n, children: prune(n.children) }));
    return prune(categoryTree(categories));
  }, [categories, exclude]);
  return (
    <TreeSelect
      allowClear
      showSearch
      treeDefaultExpandAll
      value={value ?? undefined}
      onChange={(v) => onChange?.((v as string | undefined) ?? null)}
      treeData={tree}
      treeNodeFilterProp="title"
      placeholder={placeholder ?? t('catalog.category')}
      style={{ width: '100%', ...style }}
      popupMatchSelectWidth={false}
      data-testid={testId}
    />
  );
}

export function BrandSelect({
  brands,
  value,
  onChange,
  testId,
  placeholder,
  style,
}: {
  brands: Brand[];
  value?: string | null;
  onChange?: (code: string | null) => void;
  testId?: string;
  placeholder?: string;
  style?: React.CSSProperties;
}) {
  const { t } = useI18n();
  return (
    <Select
      allowClear
      showSearch
      optionFilterProp="label"
      value={value ?? undefined}
      onChange={(v) => onChange?.((v as string | undefined) ?? null)}
      options={brands.map((b) => ({ value: b.code, label: `${b.name} (${b.code})` }))}
      placeholder={placeholder ?? t('catalog.brand')}
      style={{ width: '100%', ...style }}
      data-testid={testId}
    />
  );
}

export function ProductStatusTag({ status }: { status: string }) {
  const { t } = useI18n();
  return status === 'active' ? (
    <Tag color="green" data-testid="product-status">
      {t('catalog.status.active')}
    </Tag>
  ) : (
    <Tag data-testid="product-status">{t('catalog.status.archived')}</Tag>
  );
}

export function SkuKindTag({ kind }: { kind: string }) {
  const { t } = useI18n();
  return kind === 'bundle' ? (
    <Tag color="purple" data-testid="sku-kind">
      {t('catalog.kind.bundle')}
    </Tag>
  ) : null;
}

// Images are served to signed-in users only: fetch them with the token, show them as blob URLs.
const imageUrls = new Map<string, Promise<string>>();

function imageUrl(name: string): Promise<string> {
  let p = imageUrls.get(name);
  if (!p) {
    p = unwrap(api.GET('/api/v1/catalog/images/{name}', { params: { path: { name } }, parseAs: 'blob' })).then((b) =>
      URL.createObjectURL(b as unknown as Blob),
    );
    p.catch(() => imageUrls.delete(name));
    imageUrls.set(name, p);
  }
  return p;
}

/** A product image by its stored name (previewable). */
export function ProductImage({ name, size = 48, preview = true }: { name: string; size?: number; preview?: boolean }) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    imageUrl(name)
      .then((u) => live && setSrc(u))
      .catch(() => live && setSrc(null));
    return () => {
      live = false;
    };
  }, [name]);
  if (!src) {
    return (
      <div style={{ width: size, height: size, display: 'flex', alignItems: 'center', justifyContent: 'center', background: '#f5f5f5' }}>
        <PictureOutlined style={{ color: '#bbb' }} />
      </div>
    );
  }
  return <Image src={src} width={size} height={size} style={{ objectFit: 'cover' }} preview={preview} data-testid="product-image" />;
}

/** Save a blob as a file. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A multipart body with one file, for openapi-fetch. */
export function fileBody(file: Blob, filename?: string): { body: { file: string }; bodySerializer: () => FormData } {
  return {
    body: { file: '' },
    bodySerializer: () => {
      const fd = new FormData();
      fd.append('file', file, filename ?? (file instanceof File ? file.name : 'upload'));
      return fd;
    },
  };
}
