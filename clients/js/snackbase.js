// SnackBase JavaScript client: one ES module, no dependencies, for browsers and Node 18+.
//
// Uses only the platform: fetch, AbortController, URLSearchParams, TextDecoder and
// ReadableStream. Records and documents are passed through exactly as the API sends them
// (snake_case JSON); only option names are camelCase. No eval, no innerHTML: the module runs
// under the console's strict Content-Security-Policy.
//
//   import { SnackBase } from "./snackbase.js";
//   const sb = new SnackBase("http://127.0.0.1:8090");
//   await sb.auth.login({ account: "acme", email: "ann@acme.test", password: "…" });
//   const { items } = await sb.collection("posts").list({ filter: 'status == "draft"' });

/**
 * A key-value store for the session, synchronous or asynchronous (each method may return a Promise).
 * The default keeps everything in memory. Pass your own (for example over `sessionStorage`, or an
 * HTTP-only cookie endpoint) only if you want the session to outlive the page; the client never
 * touches `localStorage` by itself.
 * @typedef {object} StorageAdapter
 * @property {(key: string) => (string | null | undefined | Promise<string | null | undefined>)} get
 * @property {(key: string, value: string) => (void | Promise<void>)} set
 * @property {(key: string) => (void | Promise<void>)} remove
 */

/**
 * @typedef {object} SnackBaseOptions
 * @property {StorageAdapter} [storage] where the access and refresh tokens are kept (default: memory)
 * @property {typeof fetch} [fetch] the fetch to use (default: the global one)
 * @property {string} [account] slug or id sent as `X-Account` while nobody is signed in (anonymous access)
 * @property {string} [apiKey] an API key (`sb_ak_…`): sent as the bearer on every request, never refreshed
 * @property {number} [refreshMargin] refresh this many seconds before the access token expires (default 30,
 *   at most a fifth of the token's lifetime)
 */

/**
 * The API's error document.
 * @typedef {object} ErrorBody
 * @property {string} error short name of the status, e.g. "Forbidden"
 * @property {string} message what went wrong, fit to show to a person
 * @property {Array<{field?: string, message: string, position?: number}>} [details]
 */

/**
 * The answer of login, register, refresh, MFA verification and accepting an invitation, as the API sends it.
 * @typedef {object} Session
 * @property {string} token the access token (a JWT)
 * @property {string} refresh_token
 * @property {number} expires_in seconds
 * @property {object} [account]
 * @property {object} [user]
 */

/**
 * The first step of a two-factor sign-in: no tokens yet, call `auth.verifyMfa` next.
 * @typedef {object} MfaChallenge
 * @property {true} mfaRequired
 * @property {string} mfaToken
 * @property {number} expiresIn seconds the challenge stays valid
 */

/**
 * @typedef {object} Page
 * @property {object[]} items
 * @property {number} total
 * @property {number} skip
 * @property {number} limit
 */

/**
 * Query of a record list. Any other key is sent as a `{field}=value` equality shortcut.
 * @typedef {object} ListQuery
 * @property {number} [skip]
 * @property {number} [limit] 1–100 (server default 30)
 * @property {string | string[]} [sort] e.g. "-created_at" or ["status", "-created_at"]
 * @property {string | string[]} [fields] e.g. ["id", "title"]
 * @property {string} [filter] a rule-language expression, e.g. `status == "draft"`
 */

/**
 * @typedef {object} RealtimeEvent
 * @property {string} id the event id (send back as Last-Event-ID, which the client does for you)
 * @property {string} event "record.created" | "record.updated" | "record.hidden" | "record.deleted" | "reset" | …
 * @property {any} data the parsed JSON of the `data` field (the raw text when it is not JSON)
 */

/**
 * @typedef {object} SubscribeOptions
 * @property {string} [filter] rule expression; only with exactly one collection topic
 * @property {string} [lastEventId] resume after this event
 * @property {string} [accountId] superadmin only: narrow the stream to one account
 * @property {(response: Response) => void} [onOpen] called on each (re)connection
 * @property {(error: Error, info: {fatal: boolean}) => void} [onError] called on every failure; `fatal`
 *   means the subscription has stopped (revoked, forbidden, refused with 400/401/403/404, refresh failed)
 * @property {number} [retryDelay] first reconnection delay in ms (default 1000, or the server's `retry:`)
 * @property {number} [maxRetryDelay] back-off ceiling in ms (default 30000)
 * @property {number} [idleTimeout] reconnect when nothing (not even `: ping`) arrived for this many ms (default 45000)
 */

/** @typedef {{close(): void}} Subscription */

/**
 * The records of one collection (`sb.collection(name)`).
 * @typedef {object} Records
 * @property {(query?: ListQuery & Record<string, any>) => Promise<Page>} list
 * @property {(id: string, query?: {fields?: string | string[]}) => Promise<object>} get
 * @property {(data: object) => Promise<object>} create answers the stored record
 * @property {(id: string, data: object) => Promise<object>} update partial (PATCH)
 * @property {(id: string, data: object) => Promise<object>} replace full replace of the user fields (PUT)
 * @property {(id: string) => Promise<void>} delete
 */

const API = "/api/v1";
const TOKEN_KEY = "snackbase.token";
const REFRESH_KEY = "snackbase.refresh_token";

/** The one error type of the client: an HTTP error answer, or a failure to reach the server (`status` 0). */
export class SnackBaseError extends Error {
  /**
   * @param {number} status HTTP status (0 when the request never got an answer)
   * @param {string} message
   * @param {ErrorBody | null} [details] the API's error JSON as sent
   * @param {number | null} [retryAfter] seconds, from `Retry-After` (429, 503)
   */
  constructor(status, message, details = null, retryAfter = null) {
    super(message);
    this.name = "SnackBaseError";
    /** @type {number} */ this.status = status;
    /** @type {ErrorBody | null} */ this.details = details;
    /** @type {number | null} */ this.retryAfter = retryAfter;
  }
}

/**
 * An incremental `text/event-stream` parser following the HTML standard (§9.2.6): lines end with
 * CRLF, LF or CR; `:` starts a comment; `data` lines join with "\n"; `id` persists across events
 * (and is ignored when it contains NUL); `retry` takes digits only; an event is dispatched at a blank
 * line and only when it has data; an unfinished event at the end of the stream is dropped.
 */
export class SSEParser {
  /**
   * @param {(event: {id: string, event: string, data: string}) => void} onEvent
   * @param {{onRetry?: (ms: number) => void, onComment?: (text: string) => void}} [hooks]
   */
  constructor(onEvent, hooks = {}) {
    this.onEvent = onEvent;
    this.hooks = hooks;
    /** The last event ID buffer: survives across events, as the standard says. */
    this.lastEventId = "";
    this.buffer = "";
    this.data = "";
    this.type = "";
    this.afterCR = false;
    this.started = false;
  }

  /** Feeds decoded text (any chunking, even mid-line or between CR and LF). @param {string} text */
  push(text) {
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.afterCR && text.startsWith("\n")) text = text.slice(1);
    this.afterCR = false;
    this.buffer += text;
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c !== "\n" && c !== "\r") continue;
      this.line(this.buffer.slice(start, i));
      if (c === "\r") {
        if (i + 1 === this.buffer.length) this.afterCR = true;
        else if (this.buffer[i + 1] === "\n") i++;
      }
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
  }

  /** The stream ended: whatever event is unfinished is discarded. */
  end() {
    this.buffer = "";
    this.data = "";
    this.type = "";
    this.afterCR = false;
  }

  /** @param {string} line @private */
  line(line) {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return this.hooks.onComment?.(line.slice(1).trimStart());
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event": this.type = value; break;
      case "data": this.data += value + "\n"; break;
      case "id": if (!value.includes("\0")) this.lastEventId = value; break;
      case "retry": if (/^[0-9]+$/.test(value)) this.hooks.onRetry?.(Number(value)); break;
      default: break; // unknown fields are ignored
    }
  }

  /** @private */
  dispatch() {
    if (this.data === "") { this.type = ""; return; }
    const event = { id: this.lastEventId, event: this.type || "message", data: this.data.slice(0, -1) };
    this.data = "";
    this.type = "";
    this.onEvent(event);
  }
}

/** The client. Every method returns a Promise and throws `SnackBaseError`. */
export class SnackBase {
  /**
   * @param {string} baseUrl e.g. "https://api.example.com" (without `/api/v1`)
   * @param {SnackBaseOptions} [options]
   */
  constructor(baseUrl, options = {}) {
    const http = createTransport(String(baseUrl).replace(/\/+$/, ""), options);
    const { call } = http;

    /** The base URL, without a trailing slash. */
    this.baseUrl = http.baseUrl;
    /** Sign-in, tokens and the identity flows. */
    this.auth = authApi(http);
    /** Collection definitions (superadmin writes; anyone signed in reads). */
    this.collections = {
      /** @param {object} [query] @returns {Promise<Page | object[]>} */
      list: (query) => call("GET", "/collections", { query }),
      /** @param {string} name @returns {Promise<object>} */
      get: (name) => call("GET", `/collections/${seg(name)}`),
      /** @param {{name: string, description?: string, schema: {fields: object[]}}} doc @returns {Promise<object>} */
      create: (doc) => call("POST", "/collections", { body: doc }),
      /**
       * Adds fields or changes the description; dropping a field needs `{confirm: true}`.
       * @param {string} name @param {object} patch @param {{confirm?: boolean}} [opts] @returns {Promise<object>}
       */
      update: (name, patch, opts = {}) =>
        call("PATCH", `/collections/${seg(name)}`, { body: patch, query: { confirm: opts.confirm || undefined } }),
      /** Deletes the collection and every record in it (calling this is the confirmation). @param {string} name @returns {Promise<void>} */
      delete: (name) => call("DELETE", `/collections/${seg(name)}`, { query: { confirm: true } }),
    };
    /** Accounts (superadmin only). */
    this.accounts = crud(call, "/accounts");
    /** Users of the caller's account (account admin or superadmin). */
    this.users = {
      ...crud(call, "/users"),
      /** Turns two-factor sign-in off for a user of the account. @param {string} id @returns {Promise<void>} */
      disableMfa: (id) => call("DELETE", `/users/${seg(id)}/mfa`),
    };
    const roles = crud(call, "/roles");
    /** Roles of the caller's account. */
    this.roles = {
      ...roles,
      /** 409 while users hold the role, unless `{force: true}`. @param {string} id @param {{force?: boolean}} [opts] @returns {Promise<void>} */
      delete: (id, opts = {}) => call("DELETE", `/roles/${seg(id)}`, { query: { force: opts.force || undefined } }),
      /** @param {string} id @returns {Promise<object[] | Page>} */
      permissionsOf: (id) => call("GET", `/roles/${seg(id)}/permissions`),
    };
    /**
     * Explains an access decision without doing it (`POST /permissions/check`).
     * @param {{user_id: string, collection: string, operation: "create"|"read"|"update"|"delete", record_id?: string, data?: object}} question
     * @returns {Promise<{allowed: boolean, status: number, reason: string, role: string|null, permission_id: string|null, rule: string|null, visible_fields: string[], writable_fields: string[]}>}
     */
    this.explain = (question) => call("POST", "/permissions/check", { body: question });
    /** Permission documents (account admin or superadmin). */
    this.permissions = {
      ...crud(call, "/permissions"),
      /** Full replace (PUT). @param {string} id @param {object} doc @returns {Promise<object>} */
      replace: (id, doc) => call("PUT", `/permissions/${seg(id)}`, { body: doc }),
      check: this.explain,
    };
    /** Rule checking as one types (`POST /rules/check`). */
    this.rules = {
      /**
       * @param {{collection: string, rule: string, operation?: string}} question
       * @returns {Promise<{valid: true, sql?: string} | {valid: false, error: {message: string, position: number}}>}
       */
      check: (question) => call("POST", "/rules/check", { body: question }),
    };
    /** The audit log (account admin: own account; superadmin: all). */
    this.audit = {
      /** @param {object} [query] skip, limit, actor_id, action, collection, record_id, outcome, since, until @returns {Promise<Page>} */
      list: (query) => call("GET", "/audit-logs", { query }),
      /** @param {string} id @returns {Promise<object>} */
      get: (id) => call("GET", `/audit-logs/${seg(id)}`),
      /** @returns {Promise<{valid: boolean, checked: number, first_broken_id?: string}>} */
      verify: () => call("GET", "/audit-logs/verify"),
      /** The whole log as text. @param {"jsonl"|"csv"} [format] @returns {Promise<string>} */
      export: (format = "jsonl") => call("GET", "/audit-logs/export", { query: { format }, as: "text" }),
    };
    /** API keys of the account (account admin or superadmin). */
    this.apiKeys = {
      /** @param {object} [query] @returns {Promise<Page>} */
      list: (query) => call("GET", "/api-keys", { query }),
      /** @param {string} id @returns {Promise<object>} */
      get: (id) => call("GET", `/api-keys/${seg(id)}`),
      /** The answer's `key` is shown only here. @param {{name: string, roles: string[], expires_at?: string}} doc @returns {Promise<object>} */
      create: (doc) => call("POST", "/api-keys", { body: doc }),
      /** @param {string} id @returns {Promise<void>} */
      revoke: (id) => call("DELETE", `/api-keys/${seg(id)}`),
    };
    /** Invitations by email (account admin). */
    this.invitations = {
      /** @param {object} [query] @returns {Promise<Page | object[]>} */
      list: (query) => call("GET", "/invitations", { query }),
      /** @param {{email: string, roles: string[]}} doc @returns {Promise<object>} */
      create: (doc) => call("POST", "/invitations", { body: doc }),
      /** @param {string} id @returns {Promise<void>} */
      revoke: (id) => call("DELETE", `/invitations/${seg(id)}`),
    };
    /** Realtime helpers. */
    this.realtime = {
      /** A single-use 30-second ticket for `EventSource` (`?ticket=`). @returns {Promise<{ticket: string, expires_in: number}>} */
      ticket: () => call("POST", "/realtime/tickets"),
    };
    /** `GET /health` (outside `/api/v1`). @returns {Promise<{status: string}>} */
    this.health = () => call("GET", "/health", { root: true, auth: false });
    /**
     * `GET /metrics` (outside `/api/v1`): the Prometheus text, with the session's token (a superadmin's
     * is admitted when the server requires a metrics token). @returns {Promise<string>}
     */
    this.metrics = () => call("GET", "/metrics", { root: true, as: "text" });

    this._http = http;
  }

  /**
   * The records of one collection, on `/api/v1/records/{name}`.
   * @param {string} name
   * @returns {Records}
   */
  collection(name) {
    const { call } = this._http;
    const base = `/records/${seg(name)}`;
    return {
      /** @param {ListQuery & Record<string, any>} [query] @returns {Promise<Page>} */
      list: (query) => call("GET", base, { query }),
      /** @param {string} id @param {{fields?: string|string[]}} [query] @returns {Promise<object>} */
      get: (id, query) => call("GET", `${base}/${seg(id)}`, { query }),
      /** @param {object} data @returns {Promise<object>} the stored record */
      create: (data) => call("POST", base, { body: data }),
      /** Partial update (PATCH). @param {string} id @param {object} data @returns {Promise<object>} */
      update: (id, data) => call("PATCH", `${base}/${seg(id)}`, { body: data }),
      /** Full replace of the user fields (PUT). @param {string} id @param {object} data @returns {Promise<object>} */
      replace: (id, data) => call("PUT", `${base}/${seg(id)}`, { body: data }),
      /** @param {string} id @returns {Promise<void>} */
      delete: (id) => call("DELETE", `${base}/${seg(id)}`),
    };
  }

  /**
   * Follows record changes live over `GET /api/v1/realtime` (Server-Sent Events read with `fetch`, so the
   * token travels in the `Authorization` header, never in the URL). Reconnects with back-off and
   * `Last-Event-ID`; on `closed: token expired` refreshes the token and reconnects at once; stops on
   * `revoked` and `forbidden` (reported to `onError` as fatal). `reset` reaches `onEvent`: reload your data.
   * @param {string | string[]} topics "posts", "posts/rec_…", or a list of them
   * @param {SubscribeOptions | ((event: RealtimeEvent) => void)} options
   * @param {(event: RealtimeEvent) => void} [onEvent]
   * @returns {Subscription}
   */
  subscribe(topics, options, onEvent) {
    if (typeof options === "function") [options, onEvent] = [{}, options];
    if (typeof onEvent !== "function") throw new TypeError("subscribe needs an onEvent function");
    return openSubscription(this._http, Array.isArray(topics) ? topics.join(",") : String(topics), options ?? {}, onEvent);
  }
}

// ---------------------------------------------------------------------------------------------
// Transport: requests, the session, refresh.

/**
 * @param {string} baseUrl
 * @param {SnackBaseOptions} options
 */
function createTransport(baseUrl, options) {
  const fetchImpl = options.fetch ?? ((...args) => globalThis.fetch(...args));
  const session = createSession(options.storage ?? memoryStorage(), options.refreshMargin ?? 30);
  const apiKey = options.apiKey ?? null;
  let refreshing = null;

  /** The headers that say who is calling. @returns {Promise<Record<string, string>>} */
  async function identityHeaders() {
    if (apiKey) return { Authorization: `Bearer ${apiKey}` };
    const token = await session.token();
    if (token) return { Authorization: `Bearer ${token}` };
    return options.account ? { "X-Account": options.account } : {};
  }

  /** One refresh at a time: concurrent callers share the one in flight. @returns {Promise<Session>} */
  function refresh() {
    if (apiKey) return Promise.reject(new SnackBaseError(400, "An API key is never refreshed"));
    refreshing ??= doRefresh().finally(() => { refreshing = null; });
    return refreshing;
  }

  async function doRefresh() {
    const refreshToken = await session.refreshToken();
    if (!refreshToken) throw new SnackBaseError(401, "Not signed in");
    try {
      const answer = await send("POST", `${API}/auth/refresh`, { body: { refresh_token: refreshToken } }, {});
      await session.save(answer);
      return answer;
    } catch (error) {
      if (error instanceof SnackBaseError && error.status === 401) await session.clear();
      throw error;
    }
  }

  /** Refreshes first when the access token is about to expire. */
  async function freshen() {
    if (!apiKey && (await session.expiresSoon()) && (await session.refreshToken())) await refresh();
  }

  /**
   * An API call. `auth: false` sends no identity; `root: true` skips the `/api/v1` prefix.
   * A 401 with a user token refreshes once and retries once.
   * @param {string} method @param {string} path
   * @param {{query?: object, body?: any, auth?: boolean, root?: boolean, as?: "json"|"text"}} [opts]
   */
  async function call(method, path, opts = {}) {
    const url = (opts.root ? "" : API) + path;
    if (opts.auth === false) return send(method, url, opts, {});
    await freshen();
    const headers = await identityHeaders();
    try {
      return await send(method, url, opts, headers);
    } catch (error) {
      if (!(error instanceof SnackBaseError) || error.status !== 401 || apiKey || !headers.Authorization) throw error;
      if (!(await session.refreshToken())) throw error;
      // Someone else may have refreshed while this request was out: then just retry with the new token.
      if (headers.Authorization === `Bearer ${await session.token()}`) await refresh();
      if (!(await session.token())) throw error; // signed out meanwhile
      return send(method, url, opts, await identityHeaders());
    }
  }

  /** Sends one request and decodes the answer; throws SnackBaseError on any non-2xx. */
  async function send(method, url, opts, identity) {
    const headers = { Accept: opts.as === "text" ? "*/*" : "application/json", ...identity };
    const init = { method, headers };
    if (opts.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(opts.body);
    }
    const response = await fetchWrapped(baseUrl + url + queryString(opts.query), init);
    if (!response.ok) throw await errorFrom(response);
    if (response.status === 204) return undefined;
    const text = await response.text();
    if (opts.as === "text") return text;
    if (text === "") return undefined;
    try {
      return JSON.parse(text);
    } catch {
      throw new SnackBaseError(response.status, `Expected JSON from ${url}, got ${response.headers.get("Content-Type") ?? "no content type"}`);
    }
  }

  /** fetch, with network failures turned into SnackBaseError (status 0). */
  async function fetchWrapped(url, init) {
    try {
      return await fetchImpl(url, init);
    } catch (error) {
      if (error?.name === "AbortError") throw error;
      throw new SnackBaseError(0, `Cannot reach ${baseUrl}: ${error?.message ?? error}`);
    }
  }

  return { baseUrl, call, send, refresh, freshen, identityHeaders, session, fetch: fetchWrapped, apiKey };
}

/**
 * Tokens in a storage adapter, with the expiry read from the JWT's `exp` (else `expires_in`).
 * The expiry is kept in memory only; a token loaded from storage gets it back from its own `exp`.
 * @param {StorageAdapter} storage
 * @param {number} margin seconds
 */
function createSession(storage, margin) {
  let known = null; // the token the two times below belong to (the storage may be shared and change under us)
  let expiresAt = null; // ms since epoch
  let lifetime = null; // ms
  const listeners = new Set();

  const token = async () => (await storage.get(TOKEN_KEY)) || null;
  const refreshToken = async () => (await storage.get(REFRESH_KEY)) || null;

  async function expiresSoon() {
    const current = await token();
    if (!current) return false;
    if (current !== known) {
      const claims = jwtTimes(current);
      known = current;
      expiresAt = claims?.exp ?? null;
      lifetime = claims?.iat != null ? claims.exp - claims.iat : null;
    }
    if (expiresAt === null) return false;
    const life = lifetime ?? 3600_000;
    const ahead = Math.min(margin * 1000, life / 5);
    return Date.now() >= expiresAt - ahead;
  }

  /** @param {Session} answer */
  async function save(answer) {
    const exp = jwtTimes(answer.token)?.exp ?? null;
    const now = Date.now();
    expiresAt = exp ?? (answer.expires_in ? now + answer.expires_in * 1000 : null);
    lifetime = answer.expires_in ? answer.expires_in * 1000 : exp ? exp - now : null;
    known = answer.token;
    await storage.set(TOKEN_KEY, answer.token);
    if (answer.refresh_token) await storage.set(REFRESH_KEY, answer.refresh_token);
    notify(answer);
  }

  async function clear() {
    known = null;
    expiresAt = null;
    lifetime = null;
    await storage.remove(TOKEN_KEY);
    await storage.remove(REFRESH_KEY);
    notify(null);
  }

  function notify(answer) {
    for (const listener of listeners) {
      try { listener(answer); } catch { /* a listener's failure is its own */ }
    }
  }

  return { token, refreshToken, expiresSoon, save, clear, listeners };
}

/** @returns {StorageAdapter} */
function memoryStorage() {
  const map = new Map();
  return { get: (k) => map.get(k) ?? null, set: (k, v) => void map.set(k, v), remove: (k) => void map.delete(k) };
}

/**
 * The `exp` and `iat` claims of a JWT in ms (iat null when absent), or null when it is not a readable JWT
 * with an `exp`. The signature is not checked: the server does that; this only schedules the refresh.
 * @param {string} token @returns {{exp: number, iat: number | null} | null}
 */
function jwtTimes(token) {
  const part = typeof token === "string" ? token.split(".")[1] : undefined;
  if (!part) return null;
  try {
    const base64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof claims.exp !== "number") return null;
    return { exp: claims.exp * 1000, iat: typeof claims.iat === "number" ? claims.iat * 1000 : null };
  } catch {
    return null;
  }
}

/** `?a=1&b=x+y` through URLSearchParams (a form: spaces become `+`); arrays join with commas; null/undefined are left out. */
function queryString(query) {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    params.append(key, Array.isArray(value) ? value.join(",") : String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** A path segment, percent-encoded. @param {string} value */
const seg = (value) => encodeURIComponent(String(value));

/** @param {Response} response @returns {Promise<SnackBaseError>} */
async function errorFrom(response) {
  let body = null;
  try {
    const text = await response.text();
    body = text ? JSON.parse(text) : null;
  } catch { /* not JSON: keep the status alone */ }
  if (body !== null && typeof body !== "object") body = null;
  const message = body?.message || body?.error || response.statusText || `HTTP ${response.status}`;
  return new SnackBaseError(response.status, message, body, retryAfterSeconds(response.headers.get("Retry-After")));
}

/** Seconds from a `Retry-After` header (delta-seconds or an HTTP date). @param {string | null} value */
function retryAfterSeconds(value) {
  if (!value) return null;
  if (/^\s*\d+\s*$/.test(value)) return Number(value);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** Routes in the same resource shape: list/get/create/update(PATCH)/delete. */
function crud(call, base) {
  return {
    /** @param {object} [query] @returns {Promise<Page | object[]>} */
    list: (query) => call("GET", base, { query }),
    /** @param {string} id @returns {Promise<object>} */
    get: (id) => call("GET", `${base}/${seg(id)}`),
    /** @param {object} doc @returns {Promise<object>} */
    create: (doc) => call("POST", base, { body: doc }),
    /** @param {string} id @param {object} patch @returns {Promise<object>} */
    update: (id, patch) => call("PATCH", `${base}/${seg(id)}`, { body: patch }),
    /** @param {string} id @returns {Promise<void>} */
    delete: (id) => call("DELETE", `${base}/${seg(id)}`),
  };
}

// ---------------------------------------------------------------------------------------------
// Auth.

function authApi(http) {
  const { call, session } = http;
  /** Keeps the tokens of a login-shaped answer and hands it back unchanged. */
  const keep = async (answer) => { await session.save(answer); return answer; };

  return {
    /**
     * Signs in. Returns the session, or — when the user has two-factor sign-in on — a challenge to pass
     * to `verifyMfa` with the code from the authenticator app.
     * @param {{account: string, email: string, password: string}} credentials account = slug or id
     * @returns {Promise<Session | MfaChallenge>}
     */
    async login({ account, email, password }) {
      const answer = await call("POST", "/auth/login", { body: { account, email, password }, auth: false });
      if (answer?.mfa_required) return { mfaRequired: true, mfaToken: answer.mfa_token, expiresIn: answer.expires_in };
      return keep(answer);
    },
    /**
     * The second step of a two-factor sign-in.
     * @param {{mfaToken: string, code?: string, recoveryCode?: string}} step
     * @returns {Promise<Session>}
     */
    async verifyMfa({ mfaToken, code, recoveryCode }) {
      const body = { mfa_token: mfaToken, ...(recoveryCode !== undefined ? { recovery_code: recoveryCode } : { code }) };
      return keep(await call("POST", "/auth/mfa/verify", { body, auth: false }));
    },
    /**
     * Creates an account and its first user (an admin), and signs in as that user.
     * @param {{accountName: string, accountSlug?: string, email: string, password: string}} input
     * @returns {Promise<Session & {account: object, user: object}>}
     */
    async register({ accountName, accountSlug, email, password }) {
      const body = { account_name: accountName, email, password };
      if (accountSlug !== undefined) body.account_slug = accountSlug;
      return keep(await call("POST", "/auth/register", { body, auth: false }));
    },
    /** Rotates the tokens now (concurrent calls share one request). @returns {Promise<Session>} */
    refresh: () => http.refresh(),
    /** Revokes the session on the server, then forgets the tokens (even when the server call fails). @returns {Promise<void>} */
    async logout() {
      const refreshToken = await session.refreshToken();
      try {
        if (!http.apiKey && (await session.token())) {
          await call("POST", "/auth/logout", { body: refreshToken ? { refresh_token: refreshToken } : {} });
        }
      } finally {
        await session.clear();
      }
    },
    /** @returns {Promise<{user_id: string, account_id: string, email: string|null, roles: string[], is_superadmin: boolean, api_key?: boolean}>} */
    me: () => call("GET", "/auth/me"),
    /** Whether a user session is held (tokens present; they may still be refused). @returns {Promise<boolean>} */
    isSignedIn: async () => Boolean(await session.token()),
    /**
     * Takes a session obtained elsewhere (for example from a server-side login).
     * @param {Session} answer @returns {Promise<void>}
     */
    setSession: async (answer) => { await session.save(answer); },
    /**
     * Called with the new session after login/refresh, and with null after logout or a failed refresh.
     * @param {(session: Session | null) => void} listener @returns {() => void} unsubscribe
     */
    onChange(listener) {
      session.listeners.add(listener);
      return () => session.listeners.delete(listener);
    },
    /** Starts two-factor enrolment. @returns {Promise<{secret: string, otpauth_url: string, recovery_codes: string[]}>} */
    enrollMfa: () => call("POST", "/auth/mfa/totp"),
    /** Turns two-factor sign-in on with a first code. @param {string} code @returns {Promise<void>} */
    confirmMfa: (code) => call("POST", "/auth/mfa/totp/confirm", { body: { code } }),
    /** Turns two-factor sign-in off. @param {string} code @returns {Promise<void>} */
    disableMfa: (code) => call("DELETE", "/auth/mfa/totp", { body: { code } }),
    /**
     * Changes the signed-in user's own password: the current one is checked (a wrong one is a 422 on
     * `current_password`), the new one must meet the policy; the user's other sign-ins end, this one stays.
     * @param {{currentPassword: string, newPassword: string}} input @returns {Promise<void>}
     */
    changePassword: ({ currentPassword, newPassword }) =>
      call("POST", "/auth/password", { body: { current_password: currentPassword, new_password: newPassword } }),
    /** Always 202, whether or not the user exists. @param {{account: string, email: string}} who @returns {Promise<any>} */
    requestPasswordReset: ({ account, email }) =>
      call("POST", "/auth/password-reset", { body: { account, email }, auth: false }),
    /** @param {{token: string, password: string}} input @returns {Promise<void>} */
    confirmPasswordReset: ({ token, password }) =>
      call("POST", "/auth/password-reset/confirm", { body: { token, password }, auth: false }),
    /** @param {{token: string}} input @returns {Promise<{user_id: string, email: string, email_verified: true}>} */
    verifyEmail: ({ token }) => call("POST", "/auth/verify-email", { body: { token }, auth: false }),
    /** Sends the verification mail again (signed in). @returns {Promise<any>} */
    resendVerification: () => call("POST", "/auth/verify-email/resend"),
    /** Creates the invited user and signs in as them. @param {{token: string, password: string}} input @returns {Promise<Session>} */
    acceptInvitation: async ({ token, password }) =>
      keep(await call("POST", "/auth/accept-invitation", { body: { token, password }, auth: false })),
  };
}

// ---------------------------------------------------------------------------------------------
// Realtime.

const STOP_REASONS = new Set(["revoked", "forbidden"]);

/**
 * The reconnecting loop behind `subscribe`.
 * @param {ReturnType<typeof createTransport>} http
 * @param {string} topics
 * @param {SubscribeOptions} options
 * @param {(event: RealtimeEvent) => void} onEvent
 * @returns {Subscription}
 */
function openSubscription(http, topics, options, onEvent) {
  const query = { topics, filter: options.filter, account_id: options.accountId };
  const url = `${http.baseUrl}${API}/realtime${queryString(query)}`;
  const maxDelay = options.maxRetryDelay ?? 30_000;
  const idleTimeout = options.idleTimeout ?? 45_000;
  let baseDelay = options.retryDelay ?? 1000;
  let delay = baseDelay;
  let lastEventId = options.lastEventId ?? "";
  let stopped = false;
  let controller = null;
  let sleeper = null;
  let usedAuthorization = null; // the bearer of the current connection

  const report = (error, fatal) => {
    try { options.onError?.(error, { fatal }); } catch { /* the app's handler */ }
  };
  const stop = (error) => { stopped = true; if (error) report(error, true); };

  /** One connection: resolves with what to do next. */
  async function connect(refreshedAlready) {
    controller = new AbortController();
    await http.freshen();
    const headers = { Accept: "text/event-stream", "Cache-Control": "no-cache", ...(await http.identityHeaders()) };
    usedAuthorization = headers.Authorization ?? null;
    if (lastEventId) headers["Last-Event-ID"] = lastEventId;
    const response = await http.fetch(url, { headers, signal: controller.signal });
    if (!response.ok) {
      const error = await errorFrom(response);
      if (error.status === 401 && !refreshedAlready && !http.apiKey && (await http.session.refreshToken())) {
        await http.refresh();
        return connect(true);
      }
      if ([400, 401, 403, 404].includes(error.status)) return { stop: error };
      return { retry: error, wait: error.retryAfter !== null ? error.retryAfter * 1000 : null };
    }
    try { options.onOpen?.(response); } catch { /* the app's handler */ }
    delay = baseDelay;
    return read(response);
  }

  /** Reads the stream until it ends or the server closes it. */
  async function read(response) {
    let outcome = null;
    const parser = new SSEParser((frame) => {
      if (frame.id) lastEventId = frame.id;
      const data = parseData(frame.data);
      if (frame.event === "closed") {
        outcome ??= { closed: data?.reason ?? String(data) };
        return;
      }
      if (outcome) return;
      try { onEvent({ id: frame.id, event: frame.event, data }); } catch (error) { report(error, false); }
    }, { onRetry: (ms) => { baseDelay = ms; delay = ms; } });

    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let idle = null;
    const arm = () => { clearTimeout(idle); idle = setTimeout(() => controller.abort(), idleTimeout); };
    try {
      arm();
      while (!outcome && !stopped) {
        const { value, done } = await reader.read();
        if (done) break;
        arm();
        parser.push(decoder.decode(value, { stream: true }));
      }
    } catch (error) {
      if (stopped) return {};
      outcome ??= { retry: new SnackBaseError(0, `Realtime stream interrupted: ${error?.message ?? error}`) };
    } finally {
      clearTimeout(idle);
      parser.end();
      reader.cancel().catch(() => {});
    }
    return outcome ?? { retry: new SnackBaseError(0, "Realtime stream ended") };
  }

  async function loop() {
    let lastExpiryRefresh = 0;
    while (!stopped) {
      let next;
      try {
        next = await connect(false);
      } catch (error) {
        if (stopped) return;
        if (error instanceof SnackBaseError && error.status === 401) return stop(error); // refresh failed
        next = { retry: error instanceof SnackBaseError ? error : new SnackBaseError(0, String(error?.message ?? error)) };
      }
      if (stopped) return;
      if (next.stop) return stop(next.stop);
      if (next.closed !== undefined) {
        const reason = next.closed;
        if (STOP_REASONS.has(reason)) return stop(new SnackBaseError(reason === "revoked" ? 401 : 403, `Realtime stream closed: ${reason}`, { error: "closed", message: reason }));
        if (reason === "token expired" && !http.apiKey) {
          // A fresh token that is "expired" again at once (clock skew?) must not spin: back off then.
          if (Date.now() - lastExpiryRefresh < 1000) { await wait(jitter(delay)); delay = Math.min(delay * 2, maxDelay); }
          if (stopped) return;
          // Only when the stream's token is still the session's: calls refresh ahead of expiry, so the
          // session has often moved on already, and a second rotation would be wasted.
          const current = (await http.identityHeaders()).Authorization ?? null;
          if (current === usedAuthorization) {
            try { await http.refresh(); } catch (error) { return stop(error); }
          }
          lastExpiryRefresh = Date.now();
          continue;
        }
        report(new SnackBaseError(0, `Realtime stream closed: ${reason}`), false);
      } else {
        report(next.retry, false);
      }
      await wait(next.wait ?? jitter(delay));
      delay = Math.min(delay * 2, maxDelay);
    }
  }

  function wait(ms) {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      sleeper = () => { clearTimeout(timer); resolve(); };
    });
  }

  loop().catch((error) => stop(error));
  return {
    close() {
      stopped = true;
      controller?.abort();
      sleeper?.();
    },
  };
}

/** @param {string} text */
function parseData(text) {
  try { return JSON.parse(text); } catch { return text; }
}

/** Spreads reconnections of many clients: between 75 % and 100 % of the delay. */
const jitter = (ms) => Math.round(ms * (0.75 + Math.random() * 0.25));
