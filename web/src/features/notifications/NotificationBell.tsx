import { useCallback, useEffect, useState } from 'react';
import { Badge, Button, Empty, List, Popover, Space, Spin, Tag, Typography } from 'antd';
import { BellOutlined } from '@ant-design/icons';
import { useNavigate } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import type { Notification } from '../../api/types';
import { errorText } from '../../components/useCursorList';
import { formatTime } from '../../format';
import { optLabel, useI18n } from '../../i18n';

const POLL_MS = 30_000;
const SEVERITY_COLOR: Record<string, string> = { warning: 'orange', critical: 'red', info: 'blue' };

/** The bell in the header: unread count (polled), a dropdown of my notifications, mark read, go to the link. */
export default function NotificationBell() {
  const { t, lang } = useI18n();
  const navigate = useNavigate();
  const [unread, setUnread] = useState(0);
  const [open, setOpen] = useState(false);
  const [items, setItems] = useState<Notification[]>([]);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const refreshCount = useCallback(() => {
    unwrap(api.GET('/api/v1/notifications/unread-count'))
      .then((r) => setUnread(r.unread))
      .catch(() => undefined);
  }, []);

  const loadList = useCallback(() => {
    setLoading(true);
    setError(null);
    unwrap(api.GET('/api/v1/notifications', { params: { query: { limit: 20 } } }))
      .then((page) => setItems(page.items))
      .catch((e) => setError(errorText(e)))
      .finally(() => setLoading(false));
  }, []);

  useEffect(() => {
    refreshCount();
    const timer = window.setInterval(refreshCount, POLL_MS);
    const onFocus = () => refreshCount();
    window.addEventListener('focus', onFocus);
    return () => {
      window.clearInterval(timer);
      window.removeEventListener('focus', onFocus);
    };
  }, [refreshCount]);

  // Titles come in the reader's language: reload when it changes.
  useEffect(() => {
    if (open) loadList();
  }, [open, lang, loadList]);

  const markRead = async (n: Notification) => {
    if (!n.read_at) {
      try {
        await api.POST('/api/v1/notifications/{notification_id}/read', { params: { path: { notification_id: n.id } } });
        setItems((prev) => prev.map((x) => (x.id === n.id ? { ...x, read_at: new Date().toISOString() } : x)));
        setUnread((u) => Math.max(0, u - 1));
      } catch {
        // the link still works; the count corrects itself on the next poll
      }
    }
    if (n.link) {
      setOpen(false);
      navigate(n.link);
    }
  };

  const markAll = async () => {
    await api.POST('/api/v1/notifications/read-all');
    refreshCount();
    loadList();
  };

  const panel = (
    <div style={{ width: 400 }} data-testid="notif-panel">
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 4 }}>
        <Typography.Text strong>{t('notif.title')}</Typography.Text>
        <Button size="small" type="link" disabled={!unread} onClick={markAll} data-testid="notif-mark-all">
          {t('notif.markAll')}
        </Button>
      </Space>
      {loading && !items.length ? (
        <Spin style={{ display: 'block', margin: '16px auto' }} />
      ) : error ? (
        <Typography.Text type="danger">{error}</Typography.Text>
      ) : items.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('notif.empty')} />
      ) : (
        <List
          size="small"
          dataSource={items}
          style={{ maxHeight: 420, overflowY: 'auto' }}
          renderItem={(n) => (
            <List.Item
              key={n.id}
              data-testid="notif-item"
              data-unread={n.read_at ? 'false' : 'true'}
              onClick={() => void markRead(n)}
              style={{ cursor: 'pointer', alignItems: 'flex-start', background: n.read_at ? undefined : '#f0f7ff', paddingLeft: 8 }}
            >
              <Space direction="vertical" size={0} style={{ width: '100%' }}>
                <Space size={4}>
                  <Tag color={SEVERITY_COLOR[n.severity]} style={{ marginInlineEnd: 0 }}>
                    {optLabel(t, 'alerts.severity', n.severity)}
                  </Tag>
                  <Typography.Text strong={!n.read_at} data-testid="notif-title">
                    {n.title}
                  </Typography.Text>
                </Space>
                {n.body && (
                  <Typography.Paragraph type="secondary" ellipsis={{ rows: 3 }} style={{ whiteSpace: 'pre-line', marginBottom: 0, fontSize: 12 }}>
                    {n.body}
                  </Typography.Paragraph>
                )}
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {formatTime(n.created_at)}
                </Typography.Text>
              </Space>
            </List.Item>
          )}
        />
      )}
    </div>
  );

  return (
    <Popover content={panel} trigger="click" open={open} onOpenChange={setOpen} placement="bottomRight" arrow={false}>
      <Badge count={unread} size="small" overflowCount={99} data-testid="notif-count">
        <Button type="text" size="small" icon={<BellOutlined style={{ fontSize: 16 }} />} aria-label={t('notif.bell')} data-testid="notif-bell" data-unread={unread} />
      </Badge>
    </Popover>
  );
}
