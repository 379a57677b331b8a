// Periods and their close (结账): every period with entries (and the current one), how many entries
// and how many wait for approval; close every period up to an open past one, reopen the last closed.
import { useCallback, useEffect, useState } from 'react';
import { App, Button, Card, Space, Table, Tag, Typography } from 'antd';
import { LockOutlined, ReloadOutlined, UnlockOutlined } from '@ant-design/icons';
import { api, unwrap } from '../../api/client';
import type { FinPeriod } from '../../api/types';
import { errorText } from '../../components/useCursorList';
import { useI18n } from '../../i18n';
import { currentPeriod } from './financeCommon';

export default function PeriodsPage() {
  const { t } = useI18n();
  const { message, modal } = App.useApp();
  const [periods, setPeriods] = useState<FinPeriod[]>([]);
  const [closed, setClosed] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const load = useCallback(() => {
    setLoading(true);
    Promise.all([unwrap(api.GET('/api/v1/finance/periods')), unwrap(api.GET('/api/v1/finance/settings'))])
      .then(([p, s]) => {
        setPeriods(p);
        setClosed(s.closed_through ?? null);
      })
      .catch((e) => message.error(errorText(e)))
      .finally(() => setLoading(false));
  }, [message]);
  useEffect(load, [load]);
  const now = currentPeriod();
  const close = (period: string) =>
    modal.confirm({
      title: t('period.close'),
      content: t('period.closeConfirm', { period }),
      okButtonProps: { 'data-testid': 'period-confirm' },
      onOk: async () => {
        try {
          const out = await unwrap(api.POST('/api/v1/finance/periods/close', { body: { period } }));
          message.success(t('period.closedThrough', { period: out.closed_through ?? '-' }));
          load();
        } catch (e) {
          message.error(errorText(e));
        }
      },
    });
  const reopen = () =>
    modal.confirm({
      title: t('period.reopen'),
      content: t('period.reopenConfirm', { period: closed ?? '' }),
      okButtonProps: { 'data-testid': 'period-confirm' },
      onOk: async () => {
        try {
          const out = await unwrap(api.POST('/api/v1/finance/periods/reopen'));
          message.success(out.closed_through ? t('period.closedThrough', { period: out.closed_through }) : t('period.noneClosed'));
          load();
        } catch (e) {
          message.error(errorText(e));
        }
      },
    });
  const lastClosedListed = closed !== null && periods.some((p) => p.period === closed);
  return (
    <Card
      title={<Typography.Text strong>{t('menu.periods')}</Typography.Text>}
      extra={
        <Space>
          <Typography.Text type="secondary" data-testid="period-closed-through">
            {closed ? t('period.closedThrough', { period: closed }) : t('period.noneClosed')}
          </Typography.Text>
          {closed && !lastClosedListed && (
            <Button icon={<UnlockOutlined />} onClick={reopen} data-testid={`period-reopen-${closed}`}>
              {t('period.reopen')}
            </Button>
          )}
          <Button icon={<ReloadOutlined />} onClick={load} aria-label={t('common.refresh')} />
        </Space>
      }
    >
      <Table
        size="small"
        rowKey="period"
        loading={loading}
        dataSource={periods}
        pagination={false}
        data-testid="period-table"
        columns={[
          { title: t('je.period'), dataIndex: 'period' },
          { title: t('period.entries'), dataIndex: 'entries', align: 'right' },
          { title: t('period.pending'), dataIndex: 'pending', align: 'right', render: (v: number) => (v ? <Typography.Text type="warning">{v}</Typography.Text> : 0) },
          {
            title: t('common.status'),
            key: 'state',
            render: (_: unknown, p: FinPeriod) =>
              p.closed ? (
                <Tag color="default" data-testid={`period-closed-${p.period}`}>
                  {t('period.closed')}
                </Tag>
              ) : (
                <Tag color={p.period === now ? 'blue' : 'green'} data-testid={`period-open-${p.period}`}>
                  {p.period === now ? t('period.current') : t('period.open')}
                </Tag>
              ),
          },
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_: unknown, p: FinPeriod) => (
              <Space>
                {!p.closed && p.period < now && (
                  <Button size="small" icon={<LockOutlined />} onClick={() => close(p.period)} disabled={p.pending > 0} title={p.pending > 0 ? t('period.hasPending') : undefined} data-testid={`period-close-${p.period}`}>
                    {t('period.close')}
                  </Button>
                )}
                {p.closed && p.period === closed && (
                  <Button size="small" danger icon={<UnlockOutlined />} onClick={reopen} data-testid={`period-reopen-${p.period}`}>
                    {t('period.reopen')}
                  </Button>
                )}
              </Space>
            ),
          },
        ]}
      />
    </Card>
  );
}
