// Shapes of the API: aliases of the types generated from the OpenAPI document (schema.d.ts).
import type { components } from './schema';

type Schemas = components['schemas'];

export type Me = Schemas['Me'];
export type LoginOut = Schemas['LoginOut'];
export type User = Schemas['User'];
export type Role = Schemas['Role'];
export type PermissionInfo = Schemas['Permission'];
export type ApiToken = Schemas['ApiToken'];
export type NewApiToken = Schemas['NewApiToken'];
export type AuditEntry = Schemas['AuditEntry'];

export type DashboardSummary = Schemas['Summary'];
export type Sku = Schemas['SkuOut'];
export type SkuDetail = Schemas['SkuDetailOut'];
export type Product = Schemas['ProductOut'];
export type ProductDetail = Schemas['ProductDetailOut'];
export type ProductSkuIn = Schemas['ProductSkuIn'];
export type Category = Schemas['CategoryOut'];
export type Brand = Schemas['BrandOut'];
export type UploadedImage = Schemas['ImageOut'];
export type ImportResult = Schemas['ImportResultOut'];
export type Availability = Schemas['AvailabilityOut'];
export type Warehouse = Schemas['WarehouseOut'];
export type StockRow = Schemas['StockRowOut'];
export type Move = Schemas['MoveOut'];
export type Valuation = Schemas['ValuationOut'];
export type DocumentRow = Schemas['DocumentRowOut'];
export type DocumentDetail = Schemas['DocumentDetailOut'];
export type DocumentLine = Schemas['DocumentLineOut'];
export type DocumentMove = Schemas['DocumentMoveOut'];
export type DocumentResult = Schemas['DocumentOut'];
export type Supplier = Schemas['SupplierOut'];
export type StockAlert = Schemas['AlertOut'];
export type StockAlertKind = Schemas['AlertKindOut'];
export type ValuationReport = Schemas['ValuationReportOut'];
export type ValuationReportRow = Schemas['ValuationReportRowOut'];
export type Notification = Schemas['NotificationOut'];

/** GET /inventory/adjustment-reasons answers untyped objects of this shape. */
export interface AdjustmentReason {
  code: string;
  zh: string;
  en: string;
}

export type Scopes = Record<string, string[]>;

/** Every list endpoint answers one page and the cursor of the next. */
export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}
export type Lot = Schemas['LotOut'];
export type SerialUnit = Schemas['SerialOut'];
export type SerialTrace = Schemas['SerialTraceOut'];

/** One bad cell of a refused Excel import (the 422 problem's ``errors[]``). */
export interface ImportRowError {
  row: number;
  column: string;
  column_zh: string;
  column_en: string;
  code: string;
  zh: string;
  en: string;
}

export type TransferOrderRow = Schemas['TransferOrderRowOut'];
export type TransferOrder = Schemas['TransferOrderOut'];
export type TransferOrderLine = Schemas['TransferOrderLineOut'];
export type StocktakeRow = Schemas['StocktakeRowOut'];
export type Stocktake = Schemas['StocktakeOut'];
export type StocktakeLine = Schemas['StocktakeLineOut'];
export type StocktakeCount = Schemas['StocktakeCountOut'];

export type OrderRow = Schemas['OrderRow'];
export type OrderDetail = Schemas['OrderDetail'];
export type OrderOut = Schemas['OrderOut'];
export type OrderLine = Schemas['LineOut'];
export type OrderReason = Schemas['ReasonOut'];
export type OrderTimelineEntry = Schemas['TimelineOut'];
export type OrderBulkResult = Schemas['BulkResult'];
export type OrderAddress = Schemas['AddressOut'];

export type SupplierSku = Schemas['SupplierSkuOut'];
export type PricePoint = Schemas['PricePointOut'];
export type PurchaseOrderRow = Schemas['PurchaseOrderRow'];
export type PurchaseOrder = Schemas['PurchaseOrderOut'];
export type PurchaseReceipt = Schemas['ReceiptOut'];
export type QualityHold = Schemas['HoldOut'];
export type Suggestion = Schemas['SuggestionOut'];
export type Replenishment = Schemas['ReplenishmentOut'];
export type StockHealthRow = Schemas['HealthOut'];
export type SupplierBillRow = Schemas['BillRow'];
export type SupplierBill = Schemas['BillOut'];
export type Accrual = Schemas['AccrualOut'];
export type PurchaseRequest = Schemas['PurchaseRequestOut'];
export type SupplierReturnRow = Schemas['SupplierReturnRow'];
export type OpenItem = Schemas['OpenItemOut'];
export type PaymentRow = Schemas['PaymentRow'];
export type PaymentDetail = Schemas['PaymentDetailOut'];
export type AgeingReport = Schemas['AgeingOut'];
export type AgeingRow = Schemas['AgeingRow'];
export type Expense = Schemas['ExpenseOut'];
export type ExpenseAccounts = Schemas['ExpenseAccountsOut'];

export type FinAccount = Schemas['LedgerAccountOut'];
export type PostingRole = Schemas['PostingRoleOut'];
export type FinanceSettings = Schemas['FinanceSettingsOut'];
export type TaxRate = Schemas['TaxRateOut'];
export type JournalEntryRow = Schemas['EntryHead'];
export type JournalEntry = Schemas['EntryOut'];
export type JournalLine = Schemas['EntryLineOut'];
export type FinPeriod = Schemas['PeriodOut'];
export type TrialBalance = Schemas['TrialBalanceOut'];
export type TrialRow = Schemas['TrialRow'];
export type GeneralLedger = Schemas['LedgerOut'];
export type AccountDetail = Schemas['DetailOut'];
export type AccountDetailLine = Schemas['DetailLine'];

export type ProfitReport = Schemas['ProfitReportOut'];
export type ProfitRow = Schemas['ProfitRowOut'];
export type OrderProfit = Schemas['OrderProfitOut'];
export type ChannelRate = Schemas['ChannelRateOut'];
