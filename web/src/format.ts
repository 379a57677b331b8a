import dayjs from 'dayjs';
import utc from 'dayjs/plugin/utc';

dayjs.extend(utc);

/** The API sends naive UTC ISO datetimes; show them in the browser's local time. */
export function formatTime(value: string | null | undefined): string {
  if (!value) return '-';
  const hasZone = /(Z|[+-]\d\d:?\d\d)$/.test(value);
  const d = hasZone ? dayjs(value) : dayjs.utc(value).local();
  return d.isValid() ? d.format('YYYY-MM-DD HH:mm:ss') : value;
}

/** A local dayjs as the naive-UTC ISO string the API filters take. */
export function toApiTime(d: dayjs.Dayjs): string {
  return d.utc().format('YYYY-MM-DDTHH:mm:ss');
}
