import { Button, Space, Typography } from 'antd';
import { useI18n } from '../i18n';

export default function LoadMore({ count, hasMore, loading, onLoadMore }: { count: number; hasMore: boolean; loading: boolean; onLoadMore: () => void }) {
  const { t } = useI18n();
  return (
    <Space style={{ marginTop: 8, width: '100%', justifyContent: 'center' }}>
      <Typography.Text type="secondary" data-testid="row-count">{t('common.loaded', { n: count })}</Typography.Text>
      {hasMore ? (
        <Button size="small" loading={loading} onClick={onLoadMore} data-testid="load-more">
          {t('common.loadMore')}
        </Button>
      ) : (
        <Typography.Text type="secondary">{t('common.noMore')}</Typography.Text>
      )}
    </Space>
  );
}
