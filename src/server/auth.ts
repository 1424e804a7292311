import { createHash, timingSafeEqual } from 'node:crypto';
import { hostname, networkInterfaces } from 'node:os';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logins } from './logins.js';

/** The login cookie: a random login id (logins.ts), never the token itself. */
export const COOKIE = 'flowlens_session';
/** A header a cross-site form or image cannot send: state changes need it (or a bearer token). */
export const CSRF_HEADER = 'x-flowlens-request';

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Compares in constant time (over digests, so lengths do not leak either). */
export function tokenMatches(given: string | undefined, token: string): boolean {
  return given !== undefined && timingSafeEqual(digest(given), digest(token));
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export function bearer(header: string | undefined): string | undefined {
  const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return m ? m[1] : undefined;
}

export interface AuthState {
  required: boolean;
  authenticated: boolean;
  /** How the request proved itself: a bearer header cannot be forged cross-site, a cookie can. */
  via: 'bearer' | 'cookie' | null;
}

export async function authState(
  req: FastifyRequest,
  token: string | null,
  logins: Logins | null,
): Promise<AuthState> {
  if (token === null || logins === null) return { required: false, authenticated: true, via: null };
  if (tokenMatches(bearer(req.headers.authorization), token))
    return { required: true, authenticated: true, via: 'bearer' };
  if (await logins.valid(cookieValue(req.headers.cookie, COOKIE)))
    return { required: true, authenticated: true, via: 'cookie' };
  return { required: true, authenticated: false, via: null };
}

/** Paths that answer without a token: the health check and the login exchange. */
const OPEN = new Set(['/api/health', '/api/auth', '/api/login', '/api/logout']);
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The API's gate, run before every /api route: a token when one is set, and for state changes
 * proof that the request did not come from another site's page (a bearer token, or the
 * X-Flowlens-Request header, which browsers only let same-origin scripts add).
 */
export async function checkRequest(
  req: FastifyRequest,
  reply: FastifyReply,
  token: string | null,
  logins: Logins | null,
): Promise<boolean> {
  const path = gatePath(req);
  if (path === null) {
    void reply.code(400).send({ error: 'the path is not valid percent-encoding' });
    return false;
  }
  if (!path.startsWith('/api/')) return true;
  const state = await authState(req, token, logins);
  if (!OPEN.has(path) && !state.authenticated) {
    void reply.code(401).send({ error: 'a token is required: send Authorization: Bearer TOKEN or log in' });
    return false;
  }
  if (STATE_CHANGING.has(req.method) && state.via !== 'bearer' && path !== '/api/login') {
    if (req.headers[CSRF_HEADER] !== '1' || req.headers['sec-fetch-site'] === 'cross-site') {
      void reply
        .code(403)
        .send({ error: `state-changing requests need the header 'X-Flowlens-Request: 1' or a bearer token` });
      return false;
    }
  }
  return true;
}

/**
 * The path the router sees, which is what the gate must judge: the matched route's pattern when
 * there is one (whatever the spelling: `/%61pi/sessions` is routed as `/api/sessions`), else the
 * decoded path. Null when the path cannot be decoded.
 */
function gatePath(req: FastifyRequest): string | null {
  const route = req.routeOptions?.url;
  if (route !== undefined && route !== '/*' && route !== '*') return route;
  try {
    return decodeURIComponent(req.url.split('?')[0]);
  } catch {
    return null;
  }
}

/** A dotted IPv4 literal in 127.0.0.0/8 (not a name that merely begins with "127."). */
function loopbackV4(name: string): boolean {
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(name);
  return m?.slice(1).every((p) => Number(p) <= 255) === true;
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]', '::1'];
const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', '']);

/** Whether a listen address is reachable from this machine only. */
export function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.includes(host.toLowerCase()) || loopbackV4(host);
}

/** An address as a Host header spells it: IPv6 in brackets. */
function hostForm(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}

/**
 * The names a Host header may carry, in every mode: the loopback names, the address listened on
 * (on a wildcard address, every address of this machine and its host name), and the names the user
 * configured (`serve --host-name`). A page on another site that rebinds its own name to this
 * machine (DNS rebinding) sends that name, which is none of these.
 */
export function allowedHostNames(
  boundHost: string,
  configured: readonly string[] = [],
  machine: { addresses: string[]; hostname: string } = machineNames(),
): Set<string> {
  const names = new Set<string>(LOOPBACK_NAMES);
  for (const n of configured) names.add(hostForm(n.toLowerCase()));
  if (WILDCARDS.has(boundHost.toLowerCase())) {
    for (const a of machine.addresses) names.add(hostForm(a.toLowerCase()));
    names.add(machine.hostname.toLowerCase());
  } else {
    names.add(hostForm(boundHost.toLowerCase()));
  }
  return names;
}

function machineNames(): { addresses: string[]; hostname: string } {
  const addresses = Object.values(networkInterfaces()).flatMap((list) =>
    (list ?? []).map((i) => i.address.split('%')[0]),
  );
  return { addresses, hostname: hostname() };
}

/** Whether a request's Host header names one of the allowed names (any port). */
export function hostAllowed(hostHeader: string | undefined, allowed: ReadonlySet<string>): boolean {
  if (!hostHeader) return false;
  const name = (
    hostHeader.startsWith('[') ? hostHeader.slice(0, hostHeader.indexOf(']') + 1) : hostHeader.split(':')[0]
  ).toLowerCase();
  return allowed.has(name) || (loopbackV4(name) && allowed.has('127.0.0.1'));
}
