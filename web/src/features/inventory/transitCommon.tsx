// Shared bits of the transfer-order and stocktake screens: status tags, the in-transit warehouse,
// and files (PDF, Excel) fetched with the signed-in user's token.
import { Input, Space, Tag, Typography } from 'antd';
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

/** Scanned serial numbers, one per line (a keyboard-wedge scanner types a number and presses
 * Enter, which starts the next line); spaces, commas and semicolons separate numbers too. */
export const serialList = (text: string) =>
  text
    .split(/[\s,;]+/)
    .map((x) => x.trim())
    .filter(Boolean);

/** The first number scanned twice, if any. */
export const firstDuplicate = (serials: string[]) => serials.find((x, i) => serials.indexOf(x) !== i);

/** A scan box for the units of one serial-tracked line, with the count scanned (of ``expected``). */
export function SerialScanBox({ value, expected, onChange, sku }: { value: string; expected: number; onChange: (v: string) => void; sku: string }) {
  const { t } = useI18n();
  const n = serialList(value).length;
  return (
    <Space direction="vertical" size={2} style={{ width: '100%' }}>
      <Input.TextArea
        size="small"
        autoSize={{ minRows: 2, maxRows: 8 }}
        value={value}
        placeholder={t('to.serialPlaceholder')}
        onChange={(e) => onChange(e.target.value)}
        data-testid="to-serials"
        data-sku={sku}
      />
      <Typography.Text type={n === expected ? 'success' : 'secondary'} style={{ fontSize: 12 }} data-testid="to-serial-count">
        {t('to.serialCount', { n, qty: expected })}
      </Typography.Text>
    </Space>
  );
}
