// Serial number trace (序列号追溯): scan or type a number, see every move of that unit.
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { App, Card, Descriptions, Empty, Input, Space, Tag, Timeline, Typography } from 'antd';
import { ScanOutlined } from '@ant-design/icons';
import { useSearchParams } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import type { SerialTrace } from '../../api/types';
import { errorText } from '../../components/useCursorList';
import { formatTime } from '../../format';
import { useI18n, type MsgKey } from '../../i18n';

const STATUS_COLOR: Record<string, string> = { in_stock: 'green', shipped: 'blue', removed: 'default' };

export default function SerialTracePage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [params, setParams] = useSearchParams();
  const serial = params.get('serial') ?? '';
  const [input, setInput] = useState(serial);
  const [units, setUnits] = useState<SerialTrace[] | null>(null);
  const ref = useRef<HTMLInputElement | null>(null);

  useEffect(() => {
    ref.current?.focus();
  }, []);

  useEffect(() => {
    if (!serial) {
      setUnits(null);
      return;
    }
    unwrap(api.GET('/api/v1/inventory/serials/{serial_no}/trace', { params: { path: { serial_no: serial } } }))
      .then(setUnits)
      .catch((e) => {
        setUnits([]);
        message.error(errorText(e));
      });
  }, [serial, message]);

  const onKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    const code = input.trim();
    setParams(code ? { serial: code } : {}, { replace: true });
    setInput('');
  };

  const kindLabel = (k: string) => t(`kind.${k}` as MsgKey);

  return (
    <Card size="small" title={t('serial.title')}>
      <Input
        ref={(el) => {
          ref.current = el?.input ?? null;
        }}
        prefix={<ScanOutlined />}
        placeholder={t('serial.scan')}
        value={input}
        onChange={(e) => setInput(e.target.value)}
        onKeyDown={onKey}
        autoComplete="off"
        style={{ maxWidth: 420, marginBottom: 16 }}
        data-testid="serial-scan"
      />
      {units !== null && units.length === 0 && <Empty description={t('serial.none', { serial })} data-testid="serial-none" />}
      <Space direction="vertical" style={{ width: '100%' }}>
        {(units ?? []).map((u) => (
          <Card key={`${u.sku}/${u.serial_no}`} type="inner" size="small" data-testid="serial-unit" title={<Typography.Text copyable>{u.serial_no}</Typography.Text>}>
            <Descriptions size="small" column={4} style={{ marginBottom: 12 }}>
              <Descriptions.Item label={t('stock.sku')}>{u.sku}</Descriptions.Item>
              <Descriptions.Item label={t('stock.name')}>{u.sku_name}</Descriptions.Item>
              <Descriptions.Item label={t('serial.status')}>
                <Tag color={STATUS_COLOR[u.status]} data-testid="serial-status">
                  {t(`serial.status.${u.status}` as MsgKey)}
                </Tag>
                {u.hold_ref && (
                  <Tag color="orange" data-testid="serial-on-hold" title={u.hold_ref}>
                    {t('serial.onHold')}
                  </Tag>
                )}
              </Descriptions.Item>
              <Descriptions.Item label={t('stock.warehouse')}>{u.warehouse ?? '-'}</Descriptions.Item>
            </Descriptions>
            <Timeline
              data-testid="serial-moves"
              items={u.moves.map((m) => ({
                color: m.direction > 0 ? 'green' : 'blue',
                children: (
                  <span data-testid="serial-move">
                    {formatTime(m.at)} · {m.warehouse} · {kindLabel(m.kind)} · <Typography.Text code>{m.ref}</Typography.Text>
                  </span>
                ),
              }))}
            />
          </Card>
        ))}
      </Space>
    </Card>
  );
}
