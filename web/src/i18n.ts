// Every UI string lives here, in Simplified Chinese first and English second.
import { createContext, useContext } from 'react';

export type Lang = 'zh-CN' | 'en-US';
export const LANG_KEY = 'omnistock.lang';

const zh = {
  'app.name': 'OmniStock 全渠道进销存',
  'app.short': 'OmniStock',

  'menu.dashboard': '首页',
  'menu.inventory': '库存',
  'menu.stock': '库存总览',
  'menu.ledger': '库存流水',
  'menu.catalog': '商品',
  'menu.skus': 'SKU 列表',
  'menu.system': '系统',
  'menu.users': '用户',
  'menu.roles': '角色',
  'menu.audit': '操作日志',
  'menu.tokens': 'API 令牌',

  'header.logout': '退出登录',
  'header.language': '语言',

  'login.title': '登录 OmniStock',
  'login.subtitle': '私域电商一体化进销存',
  'login.username': '用户名',
  'login.password': '密码',
  'login.submit': '登录',
  'login.required': '请输入{field}',

  'common.search': '搜索',
  'common.reset': '重置',
  'common.create': '新建',
  'common.edit': '编辑',
  'common.save': '保存',
  'common.cancel': '取消',
  'common.delete': '删除',
  'common.confirmDelete': '确定删除吗？',
  'common.actions': '操作',
  'common.loadMore': '加载更多',
  'common.noMore': '没有更多了',
  'common.refresh': '刷新',
  'common.yes': '是',
  'common.no': '否',
  'common.all': '全部',
  'common.saved': '已保存',
  'common.created': '已创建',
  'common.deleted': '已删除',
  'common.copy': '复制',
  'common.copied': '已复制',
  'common.active': '启用',
  'common.inactive': '停用',
  'common.status': '状态',
  'common.none': '无',
  'common.close': '关闭',
  'common.loaded': '已加载 {n} 条',

  'dash.users': '用户数',
  'dash.roles': '角色数',
  'dash.auditToday': '今日操作',
  'dash.warehouses': '仓库数',
  'dash.skus': 'SKU 数',
  'dash.onHand': '在库数量',
  'dash.reserved': '已预占',
  'dash.value': '库存金额',
  'dash.ordersOpen': '未完成订单',
  'dash.lowStock': '低库存 SKU',
  'dash.chartStock': '各仓库存数量',
  'dash.chartEmpty': '暂无库存数据',
  'dash.onHandSeries': '在库',
  'dash.availableSeries': '可用',

  'users.title': '用户',
  'users.new': '新建用户',
  'users.edit': '编辑用户',
  'users.search': '搜索用户名或姓名',
  'users.username': '用户名',
  'users.displayName': '显示名称',
  'users.password': '密码',
  'users.newPassword': '新密码（留空不修改）',
  'users.roles': '角色',
  'users.scopes': '数据范围',
  'users.scopeWarehouse': '仓库',
  'users.scopeStore': '店铺',
  'users.scopeChannel': '渠道',
  'users.scopeHint': '留空表示不限制',
  'users.status': '状态',
  'users.active': '正常',
  'users.disabled': '已停用',
  'users.locked': '已锁定',
  'users.lastLogin': '最近登录',
  'users.createdAt': '创建时间',
  'users.disable': '停用',
  'users.enable': '启用',
  'users.unlock': '解锁',
  'users.unrestricted': '不限',
  'users.tagsPlaceholder': '输入后回车',

  'roles.title': '角色',
  'roles.new': '新建角色',
  'roles.edit': '编辑角色',
  'roles.code': '编码',
  'roles.name': '名称',
  'roles.description': '说明',
  'roles.permissions': '权限',
  'roles.builtin': '内置',
  'roles.userCount': '用户数',
  'roles.all': '全部权限',
  'roles.builtinNoDelete': '内置角色不可删除',
  'roles.patterns': '通配权限',

  'audit.title': '操作日志',
  'audit.at': '时间',
  'audit.actor': '操作人',
  'audit.action': '操作',
  'audit.entityType': '对象类型',
  'audit.entityId': '对象 ID',
  'audit.range': '时间范围',
  'audit.before': '变更前',
  'audit.after': '变更后',
  'audit.field': '字段',
  'audit.requestId': '请求 ID',
  'audit.noChanges': '无字段变化',

  'tokens.title': 'API 令牌',
  'tokens.new': '新建令牌',
  'tokens.name': '名称',
  'tokens.prefix': '前缀',
  'tokens.createdAt': '创建时间',
  'tokens.expiresAt': '过期时间',
  'tokens.expiresInDays': '有效天数',
  'tokens.lastUsed': '最近使用',
  'tokens.revoked': '已吊销',
  'tokens.revoke': '吊销',
  'tokens.confirmRevoke': '吊销后使用该令牌的集成将无法访问，确定吗？',
  'tokens.showOnce': '令牌只显示这一次，请立即复制并妥善保存。',
  'tokens.valid': '有效',
  'tokens.expired': '已过期',

  'stock.title': '库存总览',
  'stock.warehouse': '仓库',
  'stock.sku': 'SKU',
  'stock.name': '商品名称',
  'stock.onHand': '在库',
  'stock.reserved': '预占',
  'stock.available': '可用',
  'stock.safety': '安全库存',
  'stock.value': '库存金额',
  'stock.skuSearch': '搜索 SKU 编码或名称',
  'stock.lowOnly': '仅低库存',
  'stock.allWarehouses': '全部仓库',

  'ledger.title': '库存流水',
  'ledger.at': '时间',
  'ledger.kind': '类型',
  'ledger.qty': '数量',
  'ledger.value': '金额',
  'ledger.document': '单据',
  'ledger.reason': '原因',
  'ledger.skuRequired': '请输入 SKU 编码查看流水',
  'ledger.sku': 'SKU 编码',
  'ledger.valuation': '当前估值',
  'ledger.costMethod': '计价方式',
  'ledger.qtyTotal': '数量合计',

  'kind.receipt': '采购入库',
  'kind.shipment': '销售出库',
  'kind.return': '退货入库',
  'kind.transfer_in': '调拨入库',
  'kind.transfer_out': '调拨出库',
  'kind.count_gain': '盘盈',
  'kind.count_loss': '盘亏',
  'kind.adjust_in': '调整入库',
  'kind.adjust_out': '调整出库',

  'skus.title': 'SKU 列表',
  'skus.new': '新建 SKU',
  'skus.code': 'SKU 编码',
  'skus.name': '名称',
  'skus.unit': '单位',
  'skus.price': '售价（元）',
  'skus.priceCol': '售价',
  'skus.costMethod': '成本计价',
  'skus.safety': '安全库存',
  'skus.search': '搜索编码或名称',
  'skus.priceInvalid': '请输入金额，最多两位小数，例如 12.50',

  'area.identity': '用户与权限',
  'area.audit': '操作日志',
  'area.catalog': '商品',
  'area.inventory': '库存',
  'area.orders': '订单',
  'area.purchasing': '采购',
  'area.fulfillment': '发货',
  'area.finance': '财务',
  'area.dashboard': '首页',
  'area.platform': '平台',

  'cost.average': '移动加权平均',
  'cost.fifo': '先进先出',

  'error.network': '网络错误，请稍后重试',
  'error.unknown': '请求失败',
  'error.notFound': '页面不存在',
  'error.backHome': '返回首页',
};

export type MsgKey = keyof typeof zh;

const en: Record<MsgKey, string> = {
  'app.name': 'OmniStock Back Office',
  'app.short': 'OmniStock',

  'menu.dashboard': 'Dashboard',
  'menu.inventory': 'Inventory',
  'menu.stock': 'Stock overview',
  'menu.ledger': 'Stock ledger',
  'menu.catalog': 'Catalog',
  'menu.skus': 'SKUs',
  'menu.system': 'System',
  'menu.users': 'Users',
  'menu.roles': 'Roles',
  'menu.audit': 'Audit log',
  'menu.tokens': 'API tokens',

  'header.logout': 'Log out',
  'header.language': 'Language',

  'login.title': 'Sign in to OmniStock',
  'login.subtitle': 'Multi-channel inventory & order back office',
  'login.username': 'Username',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.required': 'Please enter {field}',

  'common.search': 'Search',
  'common.reset': 'Reset',
  'common.create': 'New',
  'common.edit': 'Edit',
  'common.save': 'Save',
  'common.cancel': 'Cancel',
  'common.delete': 'Delete',
  'common.confirmDelete': 'Delete this?',
  'common.actions': 'Actions',
  'common.loadMore': 'Load more',
  'common.noMore': 'No more rows',
  'common.refresh': 'Refresh',
  'common.yes': 'Yes',
  'common.no': 'No',
  'common.all': 'All',
  'common.saved': 'Saved',
  'common.created': 'Created',
  'common.deleted': 'Deleted',
  'common.copy': 'Copy',
  'common.copied': 'Copied',
  'common.active': 'Active',
  'common.inactive': 'Inactive',
  'common.status': 'Status',
  'common.none': 'None',
  'common.close': 'Close',
  'common.loaded': '{n} rows loaded',

  'dash.users': 'Users',
  'dash.roles': 'Roles',
  'dash.auditToday': 'Changes today',
  'dash.warehouses': 'Warehouses',
  'dash.skus': 'SKUs',
  'dash.onHand': 'On hand',
  'dash.reserved': 'Reserved',
  'dash.value': 'Inventory value',
  'dash.ordersOpen': 'Open orders',
  'dash.lowStock': 'Low-stock SKUs',
  'dash.chartStock': 'Stock by warehouse',
  'dash.chartEmpty': 'No stock yet',
  'dash.onHandSeries': 'On hand',
  'dash.availableSeries': 'Available',

  'users.title': 'Users',
  'users.new': 'New user',
  'users.edit': 'Edit user',
  'users.search': 'Search username or name',
  'users.username': 'Username',
  'users.displayName': 'Display name',
  'users.password': 'Password',
  'users.newPassword': 'New password (leave empty to keep)',
  'users.roles': 'Roles',
  'users.scopes': 'Data scopes',
  'users.scopeWarehouse': 'Warehouses',
  'users.scopeStore': 'Stores',
  'users.scopeChannel': 'Channels',
  'users.scopeHint': 'Empty means unrestricted',
  'users.status': 'Status',
  'users.active': 'Active',
  'users.disabled': 'Disabled',
  'users.locked': 'Locked',
  'users.lastLogin': 'Last login',
  'users.createdAt': 'Created',
  'users.disable': 'Disable',
  'users.enable': 'Enable',
  'users.unlock': 'Unlock',
  'users.unrestricted': 'All',
  'users.tagsPlaceholder': 'Type and press Enter',

  'roles.title': 'Roles',
  'roles.new': 'New role',
  'roles.edit': 'Edit role',
  'roles.code': 'Code',
  'roles.name': 'Name',
  'roles.description': 'Description',
  'roles.permissions': 'Permissions',
  'roles.builtin': 'Built-in',
  'roles.userCount': 'Users',
  'roles.all': 'All permissions',
  'roles.builtinNoDelete': 'Built-in roles cannot be deleted',
  'roles.patterns': 'Wildcard grants',

  'audit.title': 'Audit log',
  'audit.at': 'Time',
  'audit.actor': 'Actor',
  'audit.action': 'Action',
  'audit.entityType': 'Entity type',
  'audit.entityId': 'Entity ID',
  'audit.range': 'Time range',
  'audit.before': 'Before',
  'audit.after': 'After',
  'audit.field': 'Field',
  'audit.requestId': 'Request ID',
  'audit.noChanges': 'No field changed',

  'tokens.title': 'API tokens',
  'tokens.new': 'New token',
  'tokens.name': 'Name',
  'tokens.prefix': 'Prefix',
  'tokens.createdAt': 'Created',
  'tokens.expiresAt': 'Expires',
  'tokens.expiresInDays': 'Valid for (days)',
  'tokens.lastUsed': 'Last used',
  'tokens.revoked': 'Revoked',
  'tokens.revoke': 'Revoke',
  'tokens.confirmRevoke': 'Integrations using this token will lose access. Revoke it?',
  'tokens.showOnce': 'This token is shown only once. Copy it now and keep it safe.',
  'tokens.valid': 'Valid',
  'tokens.expired': 'Expired',

  'stock.title': 'Stock overview',
  'stock.warehouse': 'Warehouse',
  'stock.sku': 'SKU',
  'stock.name': 'Name',
  'stock.onHand': 'On hand',
  'stock.reserved': 'Reserved',
  'stock.available': 'Available',
  'stock.safety': 'Safety stock',
  'stock.value': 'Value',
  'stock.skuSearch': 'Search SKU code or name',
  'stock.lowOnly': 'Low stock only',
  'stock.allWarehouses': 'All warehouses',

  'ledger.title': 'Stock ledger',
  'ledger.at': 'Time',
  'ledger.kind': 'Kind',
  'ledger.qty': 'Qty',
  'ledger.value': 'Value',
  'ledger.document': 'Document',
  'ledger.reason': 'Reason',
  'ledger.skuRequired': 'Enter a SKU code to see its moves',
  'ledger.sku': 'SKU code',
  'ledger.valuation': 'Current valuation',
  'ledger.costMethod': 'Cost method',
  'ledger.qtyTotal': 'Quantity',

  'kind.receipt': 'Receipt',
  'kind.shipment': 'Shipment',
  'kind.return': 'Return',
  'kind.transfer_in': 'Transfer in',
  'kind.transfer_out': 'Transfer out',
  'kind.count_gain': 'Count gain',
  'kind.count_loss': 'Count loss',
  'kind.adjust_in': 'Adjustment in',
  'kind.adjust_out': 'Adjustment out',

  'skus.title': 'SKUs',
  'skus.new': 'New SKU',
  'skus.code': 'SKU code',
  'skus.name': 'Name',
  'skus.unit': 'Unit',
  'skus.price': 'Price (¥)',
  'skus.priceCol': 'Price',
  'skus.costMethod': 'Cost method',
  'skus.safety': 'Safety stock',
  'skus.search': 'Search code or name',
  'skus.priceInvalid': 'Enter an amount with at most 2 decimals, e.g. 12.50',

  'area.identity': 'Users & access',
  'area.audit': 'Audit',
  'area.catalog': 'Catalog',
  'area.inventory': 'Inventory',
  'area.orders': 'Orders',
  'area.purchasing': 'Purchasing',
  'area.fulfillment': 'Fulfillment',
  'area.finance': 'Finance',
  'area.dashboard': 'Dashboard',
  'area.platform': 'Platform',

  'cost.average': 'Moving average',
  'cost.fifo': 'FIFO',

  'error.network': 'Network error, please retry',
  'error.unknown': 'Request failed',
  'error.notFound': 'Page not found',
  'error.backHome': 'Back to dashboard',
};

export const messages: Record<Lang, Record<MsgKey, string>> = { 'zh-CN': zh, 'en-US': en };

export function storedLang(): Lang {
  try {
    return localStorage.getItem(LANG_KEY) === 'en-US' ? 'en-US' : 'zh-CN';
  } catch {
    return 'zh-CN';
  }
}

/** The value sent as Accept-Language; the API answers "en" or (default) "zh-CN". */
export function acceptLanguage(): string {
  return storedLang() === 'en-US' ? 'en' : 'zh-CN';
}

export function translate(lang: Lang, key: MsgKey, params?: Record<string, string | number>): string {
  let s = messages[lang][key] ?? key;
  if (params) {
    for (const [k, v] of Object.entries(params)) s = s.split(`{${k}}`).join(String(v));
  }
  return s;
}

export type T = (key: MsgKey, params?: Record<string, string | number>) => string;

export interface I18n {
  lang: Lang;
  setLang: (lang: Lang) => void;
  t: T;
}

export const I18nContext = createContext<I18n>({
  lang: 'zh-CN',
  setLang: () => undefined,
  t: (key, params) => translate('zh-CN', key, params),
});

export function useI18n(): I18n {
  return useContext(I18nContext);
}

/** Translate a stock move kind, falling back to the raw code for kinds added later. */
export function kindLabel(t: T, kind: string): string {
  const key = `kind.${kind}` as MsgKey;
  return key in zh ? t(key) : kind;
}

export function costMethodLabel(t: T, method: string): string {
  const key = `cost.${method}` as MsgKey;
  return key in zh ? t(key) : method;
}

export function areaLabel(t: T, area: string): string {
  const key = `area.${area}` as MsgKey;
  return key in zh ? t(key) : area;
}
