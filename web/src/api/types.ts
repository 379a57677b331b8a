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

export type TransferOrderRow = Schemas['TransferOrderRowOut'];
export type TransferOrder = Schemas['TransferOrderOut'];
export type TransferOrderLine = Schemas['TransferOrderLineOut'];
export type StocktakeRow = Schemas['StocktakeRowOut'];
export type Stocktake = Schemas['StocktakeOut'];
export type StocktakeLine = Schemas['StocktakeLineOut'];
export type StocktakeCount = Schemas['StocktakeCountOut'];
