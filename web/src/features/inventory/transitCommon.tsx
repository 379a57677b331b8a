// Shared bits of the transfer-order and stocktake screens: status tags, the in-transit warehouse,
// and files (PDF, Excel) fetched with the signed-in user's token.
import { Tag } from 'antd';
import { optLabel, useI18n } from '../../i18n';

/** The system warehouse that holds goods in transit (rules.TRANSIT_WAREHOUSE on the server). */
export const TRANSIT_WAREHOUSE = '~TRANSIT';

/** A warehouse code, or the in-transit location shown as a tag. */
export function WarehouseCode({ code }: { code: string }) {
  const { t } = useI18n();
  if (code !== TRANSIT_WAREHOUSE) return <>{code}</>;
  return (
    <Tag color="gold" data-testid="transit-warehouse">
      {t('transit.warehouse')}
    </Tag>
  );
}

const TO_COLORS: Record<string, string> = { draft: 'default', shipped: 'gold', done: 'green', cancelled: 'default' };
const ST_COLORS: Record<string, string> = { open: 'blue', counting: 'processing', recount: 'orange', posted: 'green', cancelled: 'default' };

export function TransferStatusTag({ status }: { status: string }) {
  const { t } = useI18n();
  return (
    <Tag color={TO_COLORS[status]} data-testid="to-status">
      {optLabel(t, 'to.status', status)}
    </Tag>
  );
}

export function StocktakeStatusTag({ status }: { status: string }) {
  const { t } = useI18n();
  return (
    <Tag color={ST_COLORS[status]} data-testid="st-status">
      {optLabel(t, 'st.status', status)}
    </Tag>
  );
}

/** Save a file the browser received (an Excel export). */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * Show a PDF in a new tab, where the browser's viewer prints it. The tab opens at the click (so no
 * popup blocker stops it) and gets the PDF once it has been fetched with the user's token.
 */
export async function openPdf(fetchPdf: () => Promise<Blob>, filename: string): Promise<void> {
  const tab = window.open('', '_blank');
  try {
    const blob = await fetchPdf();
    const url = URL.createObjectURL(blob);
    if (tab) tab.location.href = url;
    else saveBlob(blob, filename);
  } catch (e) {
    tab?.close();
    throw e;
  }
}
