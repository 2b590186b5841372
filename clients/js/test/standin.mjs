// A stand-in server (node:http) for the routes the live server does not have yet:
// /auth/mfa/verify, /api/v1/realtime. It follows identity.md and realtime.md; it is NOT SnackBase.
import http from "node:http";

/** A fake JWT whose payload carries `exp` (the signature is not checked by anyone). */
export function fakeJwt(ttlSeconds, tag = Math.random().toString(36).slice(2)) {
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString("base64url");
  return `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ sub: "usr_x", tag, exp: Math.floor(Date.now() / 1000) + ttlSeconds })}.sig`;
}

export function loginAnswer(ttl = 3600) {
  return { token: fakeJwt(ttl), refresh_token: `rt_${Math.random().toString(36).slice(2)}`, expires_in: ttl,
    account: { id: "AB1234", slug: "acme", name: "Acme" }, user: { id: "usr_x", email: "ann@acme.test", roles: ["admin"] } };
}

/**
 * Starts the stand-in. `realtime` is called for each GET /api/v1/realtime with (req, res, n) where n counts
 * connections from 1; it writes SSE frames itself. Every request is recorded in `requests`.
 */
export async function startStandIn({ realtime, routes = {} } = {}) {
  const state = { requests: [], refreshes: 0, realtimeConnections: 0, tokens: new Set(), sockets: new Set() };
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined;
    const url = new URL(req.url, "http://x");
    state.requests.push({ method: req.method, path: url.pathname, query: url.searchParams, headers: req.headers, body, rawUrl: req.url });
    const json = (status, value, headers = {}) => {
      res.writeHead(status, { "Content-Type": "application/json", ...headers });
      res.end(value === undefined ? undefined : JSON.stringify(value));
    };
    const key = `${req.method} ${url.pathname}`;
    if (routes[key]) return routes[key]({ req, res, body, json, state, url });
    switch (key) {
      case "POST /api/v1/auth/refresh": {
        state.refreshes++;
        const answer = loginAnswer(3600);
        state.tokens.add(answer.token);
        return json(200, { token: answer.token, refresh_token: answer.refresh_token, expires_in: answer.expires_in });
      }
      case "GET /api/v1/realtime": {
        const n = ++state.realtimeConnections;
        return realtime ? realtime(req, res, n, state) : json(404, { error: "Not Found", message: "no realtime" });
      }
      default:
        return json(404, { error: "Not Found", message: `stand-in has no ${key}` });
    }
  });
  server.on("connection", (s) => { state.sockets.add(s); s.on("close", () => state.sockets.delete(s)); });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  const close = () => new Promise((resolve) => { for (const s of state.sockets) s.destroy(); server.close(resolve); });
  return { url, state, close };
}

/** Opens an SSE answer and returns a writer of realtime.md frames. */
export function sse(res) {
  res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
  res.flushHeaders();
  return {
    event: (id, event, data) => res.write(`id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
    raw: (text) => res.write(text),
    closed: (reason) => { res.write(`event: closed\ndata: ${JSON.stringify({ reason })}\n\n`); res.end(); },
    end: () => res.end(),
  };
}

/** Resolves when `predicate()` holds, polling every 10 ms; rejects after `ms`. */
export async function until(predicate, ms = 5000, what = "condition") {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
