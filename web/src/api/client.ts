// The one HTTP client of the app: openapi-fetch typed by the generated OpenAPI schema.
import createClient, { type Middleware } from 'openapi-fetch';
import { acceptLanguage } from '../i18n';
import type { paths } from './schema';

export const TOKEN_KEY = 'omnistock.token';

export function getToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

/** An API error: `message` is the problem's localized `detail`. */
export class ApiError extends Error {
  status: number;
  code: string;
  problem: Record<string, unknown>;

  constructor(status: number, message: string, code: string, problem: Record<string, unknown>) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.problem = problem;
  }
}

const LOGIN_PATH = '/api/v1/identity/login';

const middleware: Middleware = {
  onRequest({ request }) {
    const token = getToken();
    if (token && !request.headers.has('Authorization')) request.headers.set('Authorization', `Bearer ${token}`);
    request.headers.set('Accept-Language', acceptLanguage());
    return request;
  },
  async onResponse({ request, response }) {
    if (response.ok) return response;
    let problem: Record<string, unknown> = {};
    try {
      problem = (await response.clone().json()) as Record<string, unknown>;
    } catch {
      problem = {};
    }
    const detail =
      typeof problem.detail === 'string' && problem.detail
        ? problem.detail
        : typeof problem.title === 'string' && problem.title
          ? problem.title
          : `HTTP ${response.status}`;
    const code = typeof problem.code === 'string' ? problem.code : `http.${response.status}`;
    if (response.status === 401 && !new URL(request.url).pathname.endsWith(LOGIN_PATH)) {
      setToken(null);
      if (window.location.pathname !== '/login') {
        const next = window.location.pathname + window.location.search;
        window.location.assign(`/login?next=${encodeURIComponent(next)}`);
      }
    }
    throw new ApiError(response.status, detail, code, problem);
  },
};

export const api = createClient<paths>({ baseUrl: window.location.origin });
api.use(middleware);

/** The data of a successful response (errors were already thrown by the middleware). */
export async function unwrap<R extends { data?: unknown }>(p: Promise<R>): Promise<NonNullable<R['data']>> {
  const { data } = await p;
  return data as NonNullable<R['data']>;
}

