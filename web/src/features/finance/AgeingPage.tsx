// Ageing (账龄分析): what each customer owes or each supplier is owed, by days overdue, as of a day.
import { useEffect, useState } from 'react';
import { App, Button, Card, DatePicker, Segmented, Space, Table, Typography } from 'antd';
import { DownloadOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { api, unwrap } from '../../api/client';
import { saveDownload } from '../../api/download';
import type { AgeingReport, AgeingRow } from '../../api/types';
import { errorText } from '../../components/useCursorList';
import { useI18n } from '../../i18n';
import { formatCents } from '../../money';

export default function AgeingPage() {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const [kind, setKind] = useState<'ar' | 'ap'>('ar');
  const [asOf, setAsOf] = useState(dayjs());
  const [report, setReport] = useState<AgeingReport | null>(null);
  const query = { kind, as_of: asOf.format('YYYY-MM-DD') };
  useEffect(() => {
    unwrap(api.GET('/api/v1/finance/ageing', { params: { query } }))
      .then(setReport)
      .catch((e) => {
        setReport(null);
        message.error(errorText(e));
      });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [kind, asOf]);
  const exportXlsx = async () => {
    try {
      await saveDownload(api.GET('/api/v1/finance/ageing/export', { params: { query }, parseAs: 'blob' }), 'ageing.xlsx');
    } catch (e) {
      message.error(errorText(e));
    }
  };
  const bucketCols = (report?.buckets ?? []).map((b, i) => ({ title: lang === 'en-US' ? b.en : b.zh, key: `b${i}`, align: 'right' as const, render: (_: unknown, r: AgeingRow) => formatCents(r.buckets[i]) }));
  return (
    <Card
      title={<Typography.Text strong>{t('menu.ageing')}</Typography.Text>}
      extra={
        <Button icon={<DownloadOutlined />} onClick={exportXlsx} data-testid="ageing-export">
          {t('arap.export')}
        </Button>
      }
    >
      <Space style={{ marginBottom: 12 }}>
        <Segmented value={kind} onChange={(v) => setKind(v as 'ar' | 'ap')} options={[{ value: 'ar', label: t('arap.ar') }, { value: 'ap', label: t('arap.ap') }]} />
        <DatePicker value={asOf} allowClear={false} onChange={(d) => d && setAsOf(d)} />
      </Space>
      <Table
        size="small"
        rowKey={(r) => `${r.party_type}-${r.party_id}`}
        dataSource={report?.rows ?? []}
        pagination={false}
        data-testid="ageing-table"
        columns={[
          { title: t(kind === 'ar' ? 'arap.customer' : 'arap.supplier'), key: 'p', render: (_: unknown, r: AgeingRow) => `${r.code} ${r.name}` },
          ...bucketCols,
          { title: t('arap.unapplied'), dataIndex: 'unapplied_cents', align: 'right', render: formatCents },
          { title: t('arap.overdue'), dataIndex: 'overdue_cents', align: 'right', render: formatCents },
          { title: t('arap.balance'), dataIndex: 'total_cents', align: 'right', render: formatCents },
        ]}
        summary={() =>
          report ? (
            <Table.Summary.Row>
              <Table.Summary.Cell index={0}>{t('arap.total')}</Table.Summary.Cell>
              {report.totals.buckets.map((v, i) => (
                <Table.Summary.Cell key={i} index={i + 1} align="right">{formatCents(v)}</Table.Summary.Cell>
              ))}
              <Table.Summary.Cell index={90} align="right">{formatCents(report.totals.unapplied_cents)}</Table.Summary.Cell>
              <Table.Summary.Cell index={91} align="right">{formatCents(report.totals.overdue_cents)}</Table.Summary.Cell>
              <Table.Summary.Cell index={92} align="right">{formatCents(report.totals.total_cents)}</Table.Summary.Cell>
            </Table.Summary.Row>
          ) : null
        }
      />
    </Card>
  );
}
