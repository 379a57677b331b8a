import { Suspense, useMemo, useState } from 'react';
import { Button, Layout, Menu, Segmented, Space, Spin, Typography, theme } from 'antd';
import type { MenuProps } from 'antd';
import {
  FieldTimeOutlined,
  PayCircleOutlined,
  TransactionOutlined,
  ApartmentOutlined,
  ReconciliationOutlined,
  AppstoreOutlined,
  AuditOutlined,
  DashboardOutlined,
  DatabaseOutlined,
  FileTextOutlined,
  KeyOutlined,
  LogoutOutlined,
  SettingOutlined,
  TeamOutlined,
  UnorderedListOutlined,
  UserOutlined,
  SafetyCertificateOutlined,
  BarsOutlined,
  BarcodeOutlined,
  CalendarOutlined,
  ShoppingOutlined,
  TagsOutlined,
  TrademarkOutlined,
  AlertOutlined,
  AccountBookOutlined,
  ScanOutlined,
  SwapOutlined,
  ProfileOutlined,
  ShoppingCartOutlined,
  ExceptionOutlined,
  ImportOutlined,
  CheckSquareOutlined,
  StopOutlined,
  BranchesOutlined,
  ApiOutlined,
  InboxOutlined,
  GroupOutlined,
  CodeSandboxOutlined,
  CarOutlined,
  RollbackOutlined,
  FundOutlined,
  SendOutlined,
  ShopOutlined,
  SolutionOutlined,
  ThunderboltOutlined,
  FileDoneOutlined,
  FormOutlined,
  BookOutlined,
  CalculatorOutlined,
  ClusterOutlined,
  LockOutlined,
  RiseOutlined,
} from '@ant-design/icons';
import { Outlet, useLocation, useNavigate } from 'react-router-dom';
import { useAuth } from '../auth';
import { useI18n, type Lang } from '../i18n';
import NotificationBell from '../features/notifications/NotificationBell';

const { Header, Sider, Content } = Layout;

export function LangSwitch() {
  const { lang, setLang } = useI18n();
  return (
    <Segmented
      data-testid="lang-switch"
      size="small"
      value={lang}
      onChange={(v) => setLang(v as Lang)}
      options={[
        { label: <span data-testid="lang-zh">中文</span>, value: 'zh-CN' },
        { label: <span data-testid="lang-en">English</span>, value: 'en-US' },
      ]}
    />
  );
}

export default function MainLayout() {
  const { t } = useI18n();
  const { me, logout } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [collapsed, setCollapsed] = useState(false);
  const { token } = theme.useToken();

  const items: MenuProps['items'] = useMemo(
    () => [
      { key: '/', icon: <DashboardOutlined />, label: <span data-testid="menu-dashboard">{t('menu.dashboard')}</span> },
      {
        key: 'orders',
        icon: <ShoppingCartOutlined />,
        label: <span data-testid="menu-orders">{t('menu.orders')}</span>,
        children: [
          { key: '/orders/pool', icon: <ProfileOutlined />, label: <span data-testid="menu-order-pool">{t('menu.orderPool')}</span> },
          { key: '/orders/exceptions', icon: <ExceptionOutlined />, label: <span data-testid="menu-order-exceptions">{t('menu.orderExceptions')}</span> },
          { key: '/orders/import', icon: <ImportOutlined />, label: <span data-testid="menu-order-import">{t('menu.orderImport')}</span> },
          { key: '/orders/review-rules', icon: <CheckSquareOutlined />, label: <span data-testid="menu-review-rules">{t('menu.reviewRules')}</span> },
          { key: '/orders/blacklist', icon: <StopOutlined />, label: <span data-testid="menu-blacklist">{t('menu.blacklist')}</span> },
          { key: '/orders/route-rules', icon: <BranchesOutlined />, label: <span data-testid="menu-route-rules">{t('menu.routeRules')}</span> },
          { key: '/orders/channels', icon: <ApiOutlined />, label: <span data-testid="menu-channels">{t('menu.channels')}</span> },
        ],
      },
      {
        key: 'fulfillment',
        icon: <InboxOutlined />,
        label: <span data-testid="menu-fulfillment">{t('menu.fulfillment')}</span>,
        children: [
          { key: '/fulfillment', icon: <FundOutlined />, label: <span data-testid="menu-ful-dashboard">{t('menu.fulDashboard')}</span> },
          { key: '/fulfillment/waves', icon: <GroupOutlined />, label: <span data-testid="menu-waves">{t('menu.waves')}</span> },
          { key: '/fulfillment/pack', icon: <CodeSandboxOutlined />, label: <span data-testid="menu-pack">{t('menu.pack')}</span> },
          { key: '/fulfillment/shipments', icon: <SendOutlined />, label: <span data-testid="menu-shipments">{t('menu.shipments')}</span> },
          { key: '/fulfillment/returns', icon: <RollbackOutlined />, label: <span data-testid="menu-returns-intake">{t('menu.returnsIntake')}</span> },
          { key: '/fulfillment/couriers', icon: <CarOutlined />, label: <span data-testid="menu-couriers">{t('menu.couriers')}</span> },
        ],
      },
      {
        key: 'purchasing',
        icon: <ShopOutlined />,
        label: <span data-testid="menu-purchasing">{t('menu.purchasing')}</span>,
        children: [
          { key: '/purchasing/requests', icon: <FormOutlined />, label: <span data-testid="menu-purchase-requests">{t('menu.requests')}</span> },
          { key: '/purchasing/orders', icon: <SolutionOutlined />, label: <span data-testid="menu-purchase-orders">{t('menu.purchaseOrders')}</span> },
          { key: '/purchasing/receiving', icon: <InboxOutlined />, label: <span data-testid="menu-receiving">{t('menu.receiving')}</span> },
          { key: '/purchasing/replenishment', icon: <ThunderboltOutlined />, label: <span data-testid="menu-replenishment">{t('menu.replenishment')}</span> },
          { key: '/purchasing/suppliers', icon: <TeamOutlined />, label: <span data-testid="menu-suppliers">{t('menu.suppliers')}</span> },
          { key: '/purchasing/bills', icon: <FileDoneOutlined />, label: <span data-testid="menu-bills">{t('menu.bills')}</span> },
          { key: '/purchasing/returns', icon: <RollbackOutlined />, label: <span data-testid="menu-supplier-returns">{t('menu.supplierReturns')}</span> },
        ],
      },
      {
        key: 'finance',
        icon: <AccountBookOutlined />,
        label: <span data-testid="menu-finance">{t('menu.finance')}</span>,
        children: [
          { key: '/finance/journal', icon: <BookOutlined />, label: <span data-testid="menu-journal">{t('menu.journal')}</span> },
          { key: '/finance/trial-balance', icon: <CalculatorOutlined />, label: <span data-testid="menu-trial-balance">{t('menu.trialBalance')}</span> },
          { key: '/finance/arap', icon: <TransactionOutlined />, label: <span data-testid="menu-arap">{t('menu.arap')}</span> },
          { key: '/finance/ageing', icon: <FieldTimeOutlined />, label: <span data-testid="menu-ageing">{t('menu.ageing')}</span> },
          { key: '/finance/expenses', icon: <PayCircleOutlined />, label: <span data-testid="menu-expenses">{t('menu.expenses')}</span> },
          { key: '/finance/reconciliation', icon: <ReconciliationOutlined />, label: <span data-testid="menu-reconciliation">{t('menu.reconciliation')}</span> },
          { key: '/finance/profit', icon: <RiseOutlined />, label: <span data-testid="menu-profit">{t('menu.profit')}</span> },
          { key: '/finance/accounts', icon: <ClusterOutlined />, label: <span data-testid="menu-accounts">{t('menu.accounts')}</span> },
          { key: '/finance/periods', icon: <LockOutlined />, label: <span data-testid="menu-periods">{t('menu.periods')}</span> },
        ],
      },
      {
        key: 'inventory',
        icon: <DatabaseOutlined />,
        label: <span data-testid="menu-inventory">{t('menu.inventory')}</span>,
        children: [
          { key: '/inventory/stock', icon: <AppstoreOutlined />, label: <span data-testid="menu-stock">{t('menu.stock')}</span> },
          { key: '/inventory/ledger', icon: <BarsOutlined />, label: <span data-testid="menu-ledger">{t('menu.ledger')}</span> },
          { key: '/inventory/documents', icon: <FileTextOutlined />, label: <span data-testid="menu-documents">{t('menu.documents')}</span> },
          { key: '/inventory/batches', icon: <CalendarOutlined />, label: <span data-testid="menu-batches">{t('menu.batches')}</span> },
          { key: '/inventory/serials', icon: <BarcodeOutlined />, label: <span data-testid="menu-serials">{t('menu.serials')}</span> },
          { key: '/inventory/alerts', icon: <AlertOutlined />, label: <span data-testid="menu-alerts">{t('menu.alerts')}</span> },
          { key: '/inventory/valuation', icon: <AccountBookOutlined />, label: <span data-testid="menu-valuation">{t('menu.valuation')}</span> },
          { key: '/inventory/transfer-orders', icon: <SwapOutlined />, label: <span data-testid="menu-transfer-orders">{t('menu.transferOrders')}</span> },
          { key: '/inventory/stocktakes', icon: <ScanOutlined />, label: <span data-testid="menu-stocktakes">{t('menu.stocktakes')}</span> },
        ],
      },
      {
        key: 'catalog',
        icon: <UnorderedListOutlined />,
        label: <span data-testid="menu-catalog">{t('menu.catalog')}</span>,
        children: [
          { key: '/catalog/products', icon: <ShoppingOutlined />, label: <span data-testid="menu-products">{t('menu.products')}</span> },
          { key: '/catalog/skus', icon: <TagsOutlined />, label: <span data-testid="menu-skus">{t('menu.skus')}</span> },
          { key: '/catalog/categories', icon: <ApartmentOutlined />, label: <span data-testid="menu-categories">{t('menu.categories')}</span> },
          { key: '/catalog/brands', icon: <TrademarkOutlined />, label: <span data-testid="menu-brands">{t('menu.brands')}</span> },
        ],
      },
      {
        key: 'system',
        icon: <SettingOutlined />,
        label: <span data-testid="menu-system">{t('menu.system')}</span>,
        children: [
          { key: '/system/users', icon: <TeamOutlined />, label: <span data-testid="menu-users">{t('menu.users')}</span> },
          { key: '/system/roles', icon: <SafetyCertificateOutlined />, label: <span data-testid="menu-roles">{t('menu.roles')}</span> },
          { key: '/system/audit', icon: <AuditOutlined />, label: <span data-testid="menu-audit">{t('menu.audit')}</span> },
          { key: '/system/tokens', icon: <KeyOutlined />, label: <span data-testid="menu-tokens">{t('menu.tokens')}</span> },
        ],
      },
    ],
    [t],
  );

  // A product's editor and a stocktake sheet's page keep their list's menu entry selected.
  const selected =
    location.pathname === '/'
      ? '/'
      : location.pathname
          .replace(/\/$/, '')
          .replace(/^(\/catalog\/products)\/.+$/, '$1')
          .replace(/^(\/inventory\/stocktakes)\/\d+$/, '$1')
          .replace(/^(\/fulfillment\/waves)\/.+$/, '$1');
  // The orders, fulfilment, purchasing and finance groups open by themselves only on their own pages (they are long).
  const defaultOpen = [
    'inventory',
    'catalog',
    'system',
    ...(location.pathname.startsWith('/orders') ? ['orders'] : []),
    ...(location.pathname.startsWith('/fulfillment') ? ['fulfillment'] : []),
    ...(location.pathname.startsWith('/purchasing') ? ['purchasing'] : []),
    ...(location.pathname.startsWith('/finance') ? ['finance'] : []),
  ];

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Sider collapsible collapsed={collapsed} onCollapse={setCollapsed} width={208} data-testid="sider">
        <div
          style={{ height: 48, display: 'flex', alignItems: 'center', justifyContent: 'center', color: '#fff', fontWeight: 600, fontSize: 16, cursor: 'pointer' }}
          onClick={() => navigate('/')}
        >
          {collapsed ? 'OS' : t('app.short')}
        </div>
        <Menu
          theme="dark"
          mode="inline"
          selectedKeys={[selected]}
          defaultOpenKeys={defaultOpen}
          items={items}
          onClick={({ key }) => navigate(key)}
        />
      </Sider>
      <Layout>
        <Header
          style={{
            background: token.colorBgContainer,
            padding: '0 16px',
            height: 48,
            lineHeight: '48px',
            display: 'flex',
            justifyContent: 'space-between',
            alignItems: 'center',
            borderBottom: `1px solid ${token.colorBorderSecondary}`,
          }}
        >
          <Typography.Text strong>{t('app.name')}</Typography.Text>
          <Space size="middle">
            <NotificationBell />
            <LangSwitch />
            <Space size={4}>
              <UserOutlined />
              <span data-testid="current-user">{me?.display_name || me?.username}</span>
            </Space>
            <Button
              size="small"
              icon={<LogoutOutlined />}
              data-testid="logout"
              onClick={async () => {
                await logout();
                navigate('/login', { replace: true });
              }}
            >
              {t('header.logout')}
            </Button>
          </Space>
        </Header>
        <Content style={{ margin: 12 }}>
          <Suspense fallback={<Spin style={{ display: 'block', margin: '48px auto' }} />}>
            <Outlet />
          </Suspense>
        </Content>
      </Layout>
    </Layout>
  );
}
