import { useCallback, useEffect, useRef, useState } from 'react';
import type { PageParams } from '../api/client';
import type { Page } from '../api/types';

export interface CursorList<T> {
  items: T[];
  loading: boolean;
  error: unknown;
  hasMore: boolean;
  loadMore: () => void;
  reload: () => void;
}

/**
 * Keeps a cursor-paginated list (`{items, next_cursor}`) for a table with a "load more"
 * button. The filter is compared by value, so passing a fresh object each render is fine;
 * a filter change restarts from the first page and cancels the request in flight.
 */
export function useCursorList<T, F extends PageParams = PageParams>(
  fetcher: (params: F, signal: AbortSignal) => Promise<Page<T>>,
  filter: F,
  limit = 50,
): CursorList<T> {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState('');
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [generation, setGeneration] = useState(0);
  const abortRef = useRef<AbortController | null>(null);
  const fetcherRef = useRef(fetcher);
  fetcherRef.current = fetcher;
  const filterKey = JSON.stringify(filter);

  const load = useCallback(
    (from: string) => {
      abortRef.current?.abort();
      const ctl = new AbortController();
      abortRef.current = ctl;
      setLoading(true);
      setError(null);
      const params = { ...(JSON.parse(filterKey) as F), limit, cursor: from || undefined };
      fetcherRef.current(params, ctl.signal).then(
        (page) => {
          if (ctl.signal.aborted) return;
          setItems((prev) => (from ? [...prev, ...page.items] : page.items));
          setCursor(page.next_cursor);
          setLoading(false);
        },
        (err: unknown) => {
          if (ctl.signal.aborted) return;
          setError(err);
          setLoading(false);
        },
      );
    },
    [filterKey, limit],
  );

  useEffect(() => {
    load('');
    return () => abortRef.current?.abort();
  }, [load, generation]);

  return {
    items,
    loading,
    error,
    hasMore: cursor !== '',
    loadMore: () => {
      if (cursor && !loading) load(cursor);
    },
    reload: () => setGeneration((g) => g + 1),
  };
}
