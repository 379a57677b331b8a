import { lazy, useCallback, useMemo, useState, type ReactNode } from 'react';
import { App as AntApp, ConfigProvider, Spin } from 'antd';
import zhCN from 'antd/locale/zh_CN';
import enUS from 'antd/locale/en_US';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { AuthProvider, useAuth } from './auth';
import { I18nContext, LANG_KEY, storedLang, translate, type Lang } from './i18n';
import MainLayout from './layout/MainLayout';
import LoginPage from './features/identity/LoginPage';
import NotFoundPage from './layout/NotFoundPage';

// One chunk per page (ECharts only loads with the dashboard).
const DashboardPage = lazy(() => import('./features/dashboard/DashboardPage'));
const UsersPage = lazy(() => import('./features/identity/UsersPage'));
const RolesPage = lazy(() => import('./features/identity/RolesPage'));
const TokensPage = lazy(() => import('./features/identity/TokensPage'));
const AuditPage = lazy(() => import('./features/audit/AuditPage'));
const StockPage = lazy(() => import('./features/inventory/StockPage'));
const LedgerPage = lazy(() => import('./features/inventory/LedgerPage'));
const DocumentsPage = lazy(() => import('./features/inventory/DocumentsPage'));
const BatchesPage = lazy(() => import('./features/inventory/BatchesPage'));
const SerialTracePage = lazy(() => import('./features/inventory/SerialTracePage'));
const AlertsPage = lazy(() => import('./features/inventory/AlertsPage'));
const ValuationPage = lazy(() => import('./features/inventory/ValuationPage'));
const TransferOrdersPage = lazy(() => import('./features/inventory/TransferOrdersPage'));
const StocktakesPage = lazy(() => import('./features/inventory/StocktakesPage'));
const StocktakePage = lazy(() => import('./features/inventory/StocktakePage'));
const SkusPage = lazy(() => import('./features/catalog/SkusPage'));
const ProductsPage = lazy(() => import('./features/catalog/ProductsPage'));
const ProductEditor = lazy(() => import('./features/catalog/ProductEditor'));
const CategoriesPage = lazy(() => import('./features/catalog/CategoriesPage'));
const BrandsPage = lazy(() => import('./features/catalog/BrandsPage'));
const OrdersPage = lazy(() => import('./features/orders/OrdersPage'));
const ReviewRulesPage = lazy(() => import('./features/orders/OrderConfigPages').then((m) => ({ default: m.ReviewRulesPage })));
const BlacklistPage = lazy(() => import('./features/orders/OrderConfigPages').then((m) => ({ default: m.BlacklistPage })));
const RouteRulesPage = lazy(() => import('./features/orders/OrderConfigPages').then((m) => ({ default: m.RouteRulesPage })));
const ChannelsPage = lazy(() => import('./features/orders/OrderConfigPages').then((m) => ({ default: m.ChannelsPage })));
const FulfillmentDashboardPage = lazy(() => import('./features/fulfillment/FulfillmentDashboardPage'));
const WavesPage = lazy(() => import('./features/fulfillment/WavesPage'));
const PickListPage = lazy(() => import('./features/fulfillment/PickListPage'));
const PackStationPage = lazy(() => import('./features/fulfillment/PackStationPage'));
const ShipmentsPage = lazy(() => import('./features/fulfillment/ShipmentsPage'));
const ReturnsPage = lazy(() => import('./features/fulfillment/ReturnsPage'));
const CouriersPage = lazy(() => import('./features/fulfillment/CouriersPage'));
const SuppliersPage = lazy(() => import('./features/purchasing/SuppliersPage'));
const PurchaseOrdersPage = lazy(() => import('./features/purchasing/PurchaseOrdersPage'));
const ReceivingPage = lazy(() => import('./features/purchasing/ReceivingPage'));
const ReplenishmentPage = lazy(() => import('./features/purchasing/ReplenishmentPage'));
const BillsPage = lazy(() => import('./features/purchasing/BillsPage'));
const RequestsPage = lazy(() => import('./features/purchasing/RequestsPage'));
const SupplierReturnsPage = lazy(() => import('./features/purchasing/SupplierReturnsPage'));
const ArapPage = lazy(() => import('./features/finance/ArapPage'));
const AgeingPage = lazy(() => import('./features/finance/AgeingPage'));
const ExpensesPage = lazy(() => import('./features/finance/ExpensesPage'));
const ReconciliationPage = lazy(() => import('./features/finance/ReconciliationPage'));
const JournalPage = lazy(() => import('./features/finance/JournalPage'));
const TrialBalancePage = lazy(() => import('./features/finance/TrialBalancePage'));
const AccountsPage = lazy(() => import('./features/finance/AccountsPage'));
const PeriodsPage = lazy(() => import('./features/finance/PeriodsPage'));
const ProfitPage = lazy(() => import('./features/finance/ProfitPage'));
const OrderImportPage = lazy(() => import('./features/orders/OrderConfigPages').then((m) => ({ default: m.OrderImportPage })));

function RequireAuth({ children }: { children: ReactNode }) {
  const { me, loading } = useAuth();
  const location = useLocation();
  if (loading) {
    return (
      <div style={{ display: 'flex', height: '100vh', alignItems: 'center', justifyContent: 'center' }}>
        <Spin size="large" />
      </div>
    );
  }
  if (!me) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  return <>{children}</>;
}

export default function App() {
  const [lang, setLangState] = useState<Lang>(storedLang);
  const setLang = useCallback((l: Lang) => {
    localStorage.setItem(LANG_KEY, l);
    document.documentElement.lang = l;
    dayjs.locale(l === 'zh-CN' ? 'zh-cn' : 'en');
    setLangState(l);
  }, []);
  const i18n = useMemo(
    () => ({ lang, setLang, t: (key: Parameters<typeof translate>[1], p?: Record<string, string | number>) => translate(lang, key, p) }),
    [lang, setLang],
  );
  dayjs.locale(lang === 'zh-CN' ? 'zh-cn' : 'en');

  return (
    <I18nContext.Provider value={i18n}>
      <ConfigProvider locale={lang === 'zh-CN' ? zhCN : enUS} componentSize="middle" theme={{ token: { borderRadius: 4 } }}>
        <AntApp>
          <AuthProvider>
            <BrowserRouter>
              <Routes>
                <Route path="/login" element={<LoginPage />} />
                <Route
                  element={
                    <RequireAuth>
                      <MainLayout />
                    </RequireAuth>
                  }
                >
                  <Route index element={<DashboardPage />} />
                  <Route path="inventory/stock" element={<StockPage />} />
                  <Route path="inventory/ledger" element={<LedgerPage />} />
                  <Route path="inventory/documents" element={<DocumentsPage />} />
                  <Route path="inventory/batches" element={<BatchesPage />} />
                  <Route path="inventory/serials" element={<SerialTracePage />} />
                  <Route path="inventory/alerts" element={<AlertsPage />} />
                  <Route path="inventory/valuation" element={<ValuationPage />} />
                  <Route path="inventory/transfer-orders" element={<TransferOrdersPage />} />
                  <Route path="inventory/stocktakes" element={<StocktakesPage />} />
                  <Route path="inventory/stocktakes/:id" element={<StocktakePage />} />
                  <Route path="orders" element={<Navigate to="/orders/pool" replace />} />
                  <Route path="orders/pool" element={<OrdersPage key="pool" />} />
                  <Route path="orders/exceptions" element={<OrdersPage key="exceptions" exceptions />} />
                  <Route path="orders/review-rules" element={<ReviewRulesPage />} />
                  <Route path="orders/blacklist" element={<BlacklistPage />} />
                  <Route path="orders/route-rules" element={<RouteRulesPage />} />
                  <Route path="orders/channels" element={<ChannelsPage />} />
                  <Route path="orders/import" element={<OrderImportPage />} />
                  <Route path="fulfillment" element={<FulfillmentDashboardPage />} />
                  <Route path="fulfillment/waves" element={<WavesPage />} />
                  <Route path="fulfillment/waves/:ref" element={<PickListPage />} />
                  <Route path="fulfillment/pack" element={<PackStationPage />} />
                  <Route path="fulfillment/shipments" element={<ShipmentsPage />} />
                  <Route path="fulfillment/returns" element={<ReturnsPage />} />
                  <Route path="fulfillment/couriers" element={<CouriersPage />} />
                  <Route path="purchasing/suppliers" element={<SuppliersPage />} />
                  <Route path="purchasing/orders" element={<PurchaseOrdersPage />} />
                  <Route path="purchasing/receiving" element={<ReceivingPage />} />
                  <Route path="purchasing/replenishment" element={<ReplenishmentPage />} />
                  <Route path="purchasing/bills" element={<BillsPage />} />
                  <Route path="purchasing/requests" element={<RequestsPage />} />
                  <Route path="purchasing/returns" element={<SupplierReturnsPage />} />
                  <Route path="finance/arap" element={<ArapPage />} />
                  <Route path="finance/ageing" element={<AgeingPage />} />
                  <Route path="finance/expenses" element={<ExpensesPage />} />
                  <Route path="finance/reconciliation" element={<ReconciliationPage />} />
                  <Route path="finance/journal" element={<JournalPage />} />
                  <Route path="finance/trial-balance" element={<TrialBalancePage />} />
                  <Route path="finance/accounts" element={<AccountsPage />} />
                  <Route path="finance/periods" element={<PeriodsPage />} />
                  <Route path="finance/profit" element={<ProfitPage />} />
                  <Route path="catalog/skus" element={<SkusPage />} />
                  <Route path="catalog/products" element={<ProductsPage />} />
                  <Route path="catalog/products/:id" element={<ProductEditor />} />
                  <Route path="catalog/categories" element={<CategoriesPage />} />
                  <Route path="catalog/brands" element={<BrandsPage />} />
                  <Route path="system/users" element={<UsersPage />} />
                  <Route path="system/roles" element={<RolesPage />} />
                  <Route path="system/audit" element={<AuditPage />} />
                  <Route path="system/tokens" element={<TokensPage />} />
                  <Route path="*" element={<NotFoundPage />} />
                </Route>
              </Routes>
            </BrowserRouter>
          </AuthProvider>
        </AntApp>
      </ConfigProvider>
    </I18nContext.Provider>
  );
}
