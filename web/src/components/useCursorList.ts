import { useCallback, useEffect, useRef, useState } from 'react';
import { App } from 'antd';
import type { Page } from '../api/types';

/**
 * A cursor-paged list: the first page loads whenever `deps` change; `loadMore` appends the next.
 * `fetchPage(cursor)` must return one Page.
 */
export function useCursorList<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>, deps: unknown[]) {
  const { message } = App.useApp();
  const [items, setItems] = useState<T[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const gen = useRef(0);
  const fetchRef = useRef(fetchPage);
  fetchRef.current = fetchPage;

  const reload = useCallback(async () => {
    const mine = ++gen.current;
    setLoading(true);
    try {
      const page = await fetchRef.current(undefined);
      if (mine !== gen.current) return;
      setItems(page.items);
      setNext(page.next_cursor ?? null);
    } catch (e) {
      if (mine === gen.current) {
        setItems([]);
        setNext(null);
        message.error(errorText(e));
      }
    } finally {
      if (mine === gen.current) setLoading(false);
    }
  }, [message]);

  const loadMore = useCallback(async () => {
    if (!next) return;
    const mine = gen.current;
    setLoading(true);
    try {
      const page = await fetchRef.current(next);
      if (mine !== gen.current) return;
      setItems((prev) => [...prev, ...page.items]);
      setNext(page.next_cursor ?? null);
    } catch (e) {
      message.error(errorText(e));
    } finally {
      if (mine === gen.current) setLoading(false);
    }
  }, [next, message]);

  useEffect(() => {
    void reload();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);

  return { items, setItems, next, loading, reload, loadMore };
}

export function errorText(e: unknown): string {
  if (e instanceof Error && e.message) return e.message;
  return String(e);
}
