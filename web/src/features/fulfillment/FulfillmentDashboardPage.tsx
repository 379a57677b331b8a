import { useCallback, useEffect, useState } from 'react';
import { Button, Card, Col, Row, Statistic, Table } from 'antd';
import { ReloadOutlined } from '@ant-design/icons';
import { Link } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { formatTime } from '../../format';
import { useI18n } from '../../i18n';
import { SlotStatus } from './fulfillmentCommon';

type Dashboard = components['schemas']['DashboardOut'];

/** Today's warehouse work: orders to pick, pack and ship, what shipped, and the late orders. */
export default function FulfillmentDashboardPage() {
  const { t } = useI18n();
  const [data, setData] = useState<Dashboard | null>(null);
  const load = useCallback(() => {
    unwrap(api.GET('/api/v1/fulfillment/dashboard')).then(setData).catch(() => setData(null));
  }, []);
  useEffect(load, [load]);

  const stat = (key: 'to_pick' | 'to_pack' | 'to_ship' | 'shipped_today' | 'late_count', title: string, color?: string) => (
    <Col xs={12} md={4}>
      <Card size="small">
        <Statistic title={title} value={data ? data[key] : '-'} valueStyle={color ? { color } : undefined} />
        <span data-testid={`ful-stat-${key}`} style={{ display: 'none' }}>
          {data ? data[key] : ''}
        </span>
      </Card>
    </Col>
  );

  return (
    <Card
      size="small"
      title={t('menu.fulDashboard')}
      extra={
        <Button icon={<ReloadOutlined />} onClick={load} data-testid="ful-dashboard-refresh">
          {t('common.refresh')}
        </Button>
      }
    >
      <Row gutter={[12, 12]}>
        {stat('to_pick', t('ful.toPick'))}
        {stat('to_pack', t('ful.toPack'))}
        {stat('to_ship', t('ful.toShip'))}
        {stat('shipped_today', t('ful.shippedToday'), '#3f8600')}
        {stat('late_count', t('ful.late'), data && data.late_count > 0 ? '#cf1322' : undefined)}
      </Row>
      <Card size="small" type="inner" title={`${t('ful.late')} · ${t('ful.lateHint')}`} style={{ marginTop: 12 }}>
        <Table
          size="small"
          rowKey="order"
          pagination={false}
          dataSource={data?.late ?? []}
          data-testid="ful-late-table"
          columns={[
            { title: t('ful.order'), dataIndex: 'order', render: (v: string) => <Link to={`/orders/pool?q=${encodeURIComponent(v)}`}>{v}</Link> },
            { title: t('ful.orderedAt'), dataIndex: 'ordered_at', render: formatTime },
            { title: t('ful.hours'), dataIndex: 'hours', align: 'right' },
            { title: t('ful.stage'), dataIndex: 'stage', render: (v: string) => <SlotStatus t={t} status={v} /> },
            { title: t('ful.receiver'), dataIndex: 'receiver' },
          ]}
        />
      </Card>
    </Card>
  );
}
