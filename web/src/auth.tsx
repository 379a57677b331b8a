import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, getToken, setToken, unwrap } from './api/client';
import type { Me } from './api/types';

interface Auth {
  me: Me | null;
  loading: boolean;
  login: (username: string, password: string) => Promise<Me>;
  logout: () => Promise<void>;
  can: (permission: string) => boolean;
}

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [loading, setLoading] = useState<boolean>(() => Boolean(getToken()));

  useEffect(() => {
    if (!getToken()) return;
    let alive = true;
    unwrap(api.GET('/api/v1/identity/me'))
      .then((m) => alive && setMe(m))
      .catch(() => alive && setMe(null))
      .finally(() => alive && setLoading(false));
    return () => {
      alive = false;
    };
  }, []);

  const login = useCallback(async (username: string, password: string) => {
    const out = await unwrap(api.POST('/api/v1/identity/login', { body: { username, password } }));
    setToken(out.access_token);
    setMe(out.user);
    return out.user;
  }, []);

  const logout = useCallback(async () => {
    try {
      await api.POST('/api/v1/identity/logout');
    } catch {
      // the token may already be invalid; signing out locally is what matters
    }
    setToken(null);
    setMe(null);
  }, []);

  const can = useCallback(
    (permission: string) => Boolean(me && (me.permissions.includes('*') || me.permissions.includes(permission))),
    [me],
  );

  const value = useMemo(() => ({ me, loading, login, logout, can }), [me, loading, login, logout, can]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth outside AuthProvider');
  return ctx;
}
