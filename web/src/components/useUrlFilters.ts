import { useCallback } from 'react';
import { useSearchParams } from 'react-router-dom';

/** A page's filters kept in the URL (so a filtered list can be linked and survives a reload):
 * the current query parameters and a setter that removes a parameter set to ''. */
export function useUrlFilters() {
  const [params, setParams] = useSearchParams();
  const setFilter = useCallback(
    (key: string, value: string) => {
      const next = new URLSearchParams(params);
      if (value) next.set(key, value);
      else next.delete(key);
      setParams(next, { replace: true });
    },
    [params, setParams],
  );
  return { params, setParams, setFilter };
}
