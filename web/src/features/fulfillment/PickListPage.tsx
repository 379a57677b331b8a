import { useCallback, useEffect, useState } from 'react';
import { App, Button, Card, Descriptions, InputNumber, Space, Table, Tag } from 'antd';
import { CheckOutlined, PrinterOutlined } from '@ant-design/icons';
import { Link, useParams } from 'react-router-dom';
import { api, ApiError, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { formatTime } from '../../format';
import { optLabel, useI18n } from '../../i18n';
import { openPdf, SlotStatus, WaveStatus } from './fulfillmentCommon';

type Sheet = components['schemas']['PickListOut'];
type Line = components['schemas']['PickLineOut'];

const lineKey = (l: Line) => `${l.sku}|${l.lot_no ?? ''}`;

/** A wave's pick list, walked bin by bin: picks confirmed (a short pick typed as the quantity found). */
export default function PickListPage() {
  const { ref = '' } = useParams();
  const { t } = useI18n();
  const { message } = App.useApp();
  const [sheet, setSheet] = useState<Sheet | null>(null);
  const [picked, setPicked] = useState<Record<string, number | null>>({});
  const [busy, setBusy] = useState(false);

  const load = useCallback(() => {
    unwrap(api.GET('/api/v1/fulfillment/waves/{ref}', { params: { path: { ref } } }))
      .then((s) => {
        setSheet(s);
        setPicked(Object.fromEntries(s.lines.map((l) => [lineKey(l), l.picked ?? l.needed])));
      })
      .catch((e: ApiError) => message.error(e.message));
  }, [ref, message]);
  useEffect(load, [load]);

  const confirm = async () => {
    if (!sheet) return;
    setBusy(true);
    try {
      const picks = sheet.lines.map((l) => ({ sku: l.sku, lot_no: l.lot_no ?? null, picked: picked[lineKey(l)] ?? 0 }));
      const done = await unwrap(api.POST('/api/v1/fulfillment/waves/{ref}/picks', { params: { path: { ref } }, body: { picks } }));
      message.success(t('ful.picksConfirmed', { n: done.to_pack }));
      if (done.short_orders.length) message.warning(t('ful.shortOrders', { refs: done.short_orders.join(', ') }));
      load();
    } catch (e) {
      message.error((e as ApiError).message);
    } finally {
      setBusy(false);
    }
  };

  const picking = sheet?.status === 'released';
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Card
        size="small"
        title={`${t('ful.pickList')} ${ref}`}
        extra={
          <Space>
            <Button
              icon={<PrinterOutlined />}
              data-testid="pick-list-pdf"
              disabled={!sheet || sheet.status === 'created'}
              onClick={() => void openPdf(api.GET('/api/v1/fulfillment/waves/{ref}/pick-list.pdf', { params: { path: { ref } }, parseAs: 'blob' }))}
            >
              {t('ful.printPickList')}
            </Button>
            {picking && (
              <Button type="primary" icon={<CheckOutlined />} loading={busy} onClick={() => void confirm()} data-testid="confirm-picks">
                {t('ful.confirmPicks')}
              </Button>
            )}
            {(sheet?.status === 'picked' || sheet?.status === 'done') && (
              <Link to={`/fulfillment/pack?wave=${encodeURIComponent(ref)}`} data-testid="go-pack">
                {t('ful.openPack')}
              </Link>
            )}
          </Space>
        }
      >
        {sheet && (
          <Descriptions size="small" column={{ xs: 1, md: 4 }}>
            <Descriptions.Item label={t('ful.warehouse')}>{sheet.warehouse}</Descriptions.Item>
            <Descriptions.Item label={t('ful.kind')}>{optLabel(t, 'ful.kind', sheet.kind)}</Descriptions.Item>
            <Descriptions.Item label={t('ful.courier')}>{sheet.account_name}</Descriptions.Item>
            <Descriptions.Item label={t('common.status')}>
              <span data-testid="wave-status">
                <WaveStatus t={t} status={sheet.status} />
              </span>
            </Descriptions.Item>
            <Descriptions.Item label={t('ful.createdAt')}>{formatTime(sheet.created_at)}</Descriptions.Item>
          </Descriptions>
        )}
        <Table
          size="small"
          rowKey={lineKey}
          pagination={false}
          dataSource={sheet?.lines ?? []}
          data-testid="pick-lines"
          columns={[
            { title: t('ful.bin'), dataIndex: 'bin', render: (v: string | null) => (v ? <Tag color="blue">{v}</Tag> : '-') },
            { title: t('ful.sku'), dataIndex: 'sku' },
            { title: t('ful.name'), dataIndex: 'name' },
            {
              title: t('ful.lot'),
              render: (_: unknown, l: Line) => l.lot_no ?? (l.tracking === 'serial' ? <Tag>{t('ful.scanSerials')}</Tag> : '-'),
            },
            { title: t('ful.needed'), dataIndex: 'needed', align: 'right' },
            {
              title: t('ful.picked'),
              align: 'right',
              render: (_: unknown, l: Line) =>
                picking ? (
                  <InputNumber
                    size="small"
                    min={0}
                    max={l.needed}
                    precision={0}
                    value={picked[lineKey(l)]}
                    onChange={(v) => setPicked((p) => ({ ...p, [lineKey(l)]: v }))}
                    data-testid={`picked-${l.sku}`}
                  />
                ) : (
                  (l.picked ?? '-')
                ),
            },
          ]}
        />
      </Card>
      <Card size="small" title={t('ful.slots')}>
        <Table
          size="small"
          rowKey="ref"
          pagination={false}
          dataSource={sheet?.orders_in_slots ?? []}
          data-testid="pick-slots"
          columns={[
            { title: t('ful.slot'), dataIndex: 'slot', width: 70 },
            { title: t('ful.order'), dataIndex: 'ref' },
            { title: t('ful.receiver'), dataIndex: 'receiver' },
            { title: t('ful.items'), dataIndex: 'items', render: (items: Sheet['orders_in_slots'][number]['items']) => items.map((i) => `${i.sku} × ${i.qty}`).join('，') },
            { title: t('common.status'), dataIndex: 'status', render: (v: string) => <SlotStatus t={t} status={v} /> },
          ]}
        />
        {!!sheet?.short_picks.length && (
          <Table
            style={{ marginTop: 12 }}
            size="small"
            rowKey={(r) => `${r.order}|${r.sku}`}
            pagination={false}
            title={() => t('ful.shortPicks')}
            dataSource={sheet.short_picks}
            columns={[
              { title: t('ful.order'), dataIndex: 'order' },
              { title: t('ful.sku'), dataIndex: 'sku' },
              { title: t('ful.needed'), dataIndex: 'needed', align: 'right' },
            ]}
          />
        )}
      </Card>
    </Space>
  );
}
