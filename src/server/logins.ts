import { createHash, randomBytes } from 'node:crypto';
import { createLogin, type Db, deleteLogin, loginSecondsLeft } from '../storage/index.js';

/** How long a dashboard login lasts. */
export const LOGIN_TTL_S = 7 * 24 * 3600;
/** Live logins remembered in memory, so a page's requests do not each ask the database. */
const CACHE_MAX = 10_000;

const digest = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * Dashboard logins: a random id in the cookie, its digest in the database with an expiry and the
 * digest of the token it was made with (a changed token ends them all), ended by logout. Chosen
 * over a signed cookie because logout must end a login at once, which a signature alone cannot.
 */
export class Logins {
  private readonly live = new Map<string, number>();
  private readonly tokenDigest: string;

  constructor(
    private readonly db: Db,
    token: string,
  ) {
    this.tokenDigest = digest(token);
  }

  /** A new login's id, for the cookie. */
  async create(): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    const key = digest(id);
    await createLogin(this.db, key, this.tokenDigest, LOGIN_TTL_S);
    this.remember(key, Date.now() + LOGIN_TTL_S * 1000);
    return id;
  }

  async valid(id: string | undefined): Promise<boolean> {
    if (!id || id.length > 100) return false;
    const key = digest(id);
    const until = this.live.get(key);
    if (until !== undefined) {
      if (until > Date.now()) return true;
      this.live.delete(key);
      return false;
    }
    const left = await loginSecondsLeft(this.db, key, this.tokenDigest);
    if (left === null) return false;
    this.remember(key, Date.now() + left * 1000);
    return true;
  }

  async end(id: string | undefined): Promise<void> {
    if (!id || id.length > 100) return;
    const key = digest(id);
    this.live.delete(key);
    await deleteLogin(this.db, key);
  }

  private remember(key: string, until: number): void {
    if (this.live.size >= CACHE_MAX) this.live.delete(this.live.keys().next().value as string);
    this.live.set(key, until);
  }
}

/** Failed logins of one address. */
interface Failures {
  count: number;
  last: number;
  inFlight: number;
}

/**
 * Slows token guessing: each failed login is answered only after a delay that doubles with the
 * address's recent failures (0.25 s, 0.5 s, … up to 10 s), and an address may have at most two
 * attempts waiting (others 429 with Retry-After), all addresses together 32. A right token after a
 * typo still logs in at once.
 */
export class FailedLogins {
  private readonly by = new Map<string, Failures>();
  private waiting = 0;

  /** Null when an attempt may go ahead, else the seconds to wait before trying again. */
  refuse(address: string): number | null {
    const f = this.by.get(address);
    if (this.waiting >= 32 || (f !== undefined && f.inFlight >= 2)) return Math.ceil(this.delayMs(f) / 1000);
    return null;
  }

  /** Records a failure and resolves when its answer may be sent. */
  async fail(address: string): Promise<void> {
    const now = Date.now();
    let f = this.by.get(address);
    // Quiet for 15 minutes: the count starts again.
    if (f === undefined || (now - f.last > 900_000 && f.inFlight === 0)) {
      if (this.by.size >= 10_000) this.by.delete(this.by.keys().next().value as string);
      f = { count: 0, last: now, inFlight: 0 };
      this.by.set(address, f);
    }
    f.count++;
    f.last = now;
    f.inFlight++;
    this.waiting++;
    try {
      await new Promise((r) => setTimeout(r, this.delayMs(f)));
    } finally {
      f.inFlight--;
      this.waiting--;
    }
  }

  succeed(address: string): void {
    if (this.by.get(address)?.inFlight === 0) this.by.delete(address);
  }

  private delayMs(f: Failures | undefined): number {
    return Math.min(250 * 2 ** Math.min(Math.max((f?.count ?? 1) - 1, 0), 10), 10_000);
  }
}
