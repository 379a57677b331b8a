import { useEffect, useState } from 'react';
import { api, unwrap } from '../api/client';
import type { Warehouse } from '../api/types';

/** The warehouses this user may see (for filters and forms); empty until loaded or on error. */
export function useWarehouses(): Warehouse[] {
  const [warehouses, setWarehouses] = useState<Warehouse[]>([]);
  useEffect(() => {
    unwrap(api.GET('/api/v1/inventory/warehouses')).then(setWarehouses).catch(() => setWarehouses([]));
  }, []);
  return warehouses;
}
