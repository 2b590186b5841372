// Tests against a STAND-IN server (test/standin.mjs, node:http), NOT the live SnackBase server:
// two-factor sign-in and the realtime stream are not in the server yet. The stand-in follows
// identity.md and realtime.md.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SnackBase, SnackBaseError } from "../snackbase.js";
import { startStandIn, loginAnswer, sse, until } from "./standin.mjs";

const fast = { retryDelay: 20, maxRetryDelay: 100 };

async function signedIn(url, ttl = 3600) {
  const sb = new SnackBase(url);
  await sb.auth.setSession(loginAnswer(ttl));
  return sb;
}

// ---- two-factor sign-in ----

function mfaRoutes() {
  return {
    "POST /api/v1/auth/login": ({ body, json }) => body.email === "mfa@acme.test"
      ? json(200, { mfa_required: true, mfa_token: "mfa_tok_1", expires_in: 300 })
      : json(200, loginAnswer()),
    "POST /api/v1/auth/mfa/verify": ({ body, json }) => {
      const ok = body.mfa_token === "mfa_tok_1" && (body.code === "123456" || body.recovery_code === "rc-0001");
      return ok ? json(200, loginAnswer()) : json(401, { error: "Unauthorized", message: "Invalid code" });
    },
    "GET /api/v1/auth/me": ({ req, json }) => req.headers.authorization
      ? json(200, { user_id: "usr_x", account_id: "AB1234", email: "mfa@acme.test", roles: ["admin"], is_superadmin: false })
      : json(401, { error: "Unauthorized", message: "Authentication required" }),
  };
}

test("against a stand-in server: login with two-factor on returns the challenge and keeps no token", async () => {
  const standIn = await startStandIn({ routes: mfaRoutes() });
  try {
    const sb = new SnackBase(standIn.url);
    const step = await sb.auth.login({ account: "acme", email: "mfa@acme.test", password: "Secret-pass-123!" });
    assert.deepEqual(step, { mfaRequired: true, mfaToken: "mfa_tok_1", expiresIn: 300 });
    assert.equal(await sb.auth.isSignedIn(), false);
    await assert.rejects(sb.auth.me(), (e) => e instanceof SnackBaseError && e.status === 401);
  } finally { await standIn.close(); }
});

test("against a stand-in server: verifyMfa with a code signs in; the body is {mfa_token, code}", async () => {
  const standIn = await startStandIn({ routes: mfaRoutes() });
  try {
    const sb = new SnackBase(standIn.url);
    const { mfaToken } = await sb.auth.login({ account: "acme", email: "mfa@acme.test", password: "x" });
    const session = await sb.auth.verifyMfa({ mfaToken, code: "123456" });
    assert.ok(session.token && session.refresh_token);
    assert.deepEqual(standIn.state.requests.at(-1).body, { mfa_token: "mfa_tok_1", code: "123456" });
    assert.equal((await sb.auth.me()).user_id, "usr_x");
    assert.equal(standIn.state.requests.at(-1).headers.authorization, `Bearer ${session.token}`);
  } finally { await standIn.close(); }
});

test("against a stand-in server: verifyMfa with a recovery code sends recovery_code; a wrong code is a 401", async () => {
  const standIn = await startStandIn({ routes: mfaRoutes() });
  try {
    const sb = new SnackBase(standIn.url);
    await assert.rejects(sb.auth.verifyMfa({ mfaToken: "mfa_tok_1", code: "000000" }),
      (e) => e instanceof SnackBaseError && e.status === 401 && e.details.message === "Invalid code");
    assert.equal(await sb.auth.isSignedIn(), false);
    await sb.auth.verifyMfa({ mfaToken: "mfa_tok_1", recoveryCode: "rc-0001" });
    assert.deepEqual(standIn.state.requests.at(-1).body, { mfa_token: "mfa_tok_1", recovery_code: "rc-0001" });
    assert.equal(await sb.auth.isSignedIn(), true);
  } finally { await standIn.close(); }
});

test("against a stand-in server: login without two-factor returns the session unchanged", async () => {
  const standIn = await startStandIn({ routes: mfaRoutes() });
  try {
    const sb = new SnackBase(standIn.url);
    const session = await sb.auth.login({ account: "acme", email: "ann@acme.test", password: "x" });
    assert.equal(session.mfaRequired, undefined);
    assert.equal(session.account.slug, "acme");
    assert.equal(await sb.auth.isSignedIn(), true);
  } finally { await standIn.close(); }
});

// ---- errors the live server does not produce on demand ----

test("against a stand-in server: 429 carries retryAfter from Retry-After", async () => {
  const standIn = await startStandIn({ routes: {
    "POST /api/v1/auth/login": ({ json }) => json(429, { error: "Too Many Requests", message: "Too many attempts" }, { "Retry-After": "42" }),
  } });
  try {
    const sb = new SnackBase(standIn.url);
    await assert.rejects(sb.auth.login({ account: "acme", email: "a@b.c", password: "x" }),
      (e) => e instanceof SnackBaseError && e.status === 429 && e.retryAfter === 42 && e.message === "Too many attempts");
  } finally { await standIn.close(); }
});

test("against a stand-in server: API key mode sends the key as bearer and never refreshes, even on 401", async () => {
  const standIn = await startStandIn({ routes: {
    "GET /api/v1/auth/me": ({ json }) => json(401, { error: "Unauthorized", message: "API key revoked" }),
  } });
  try {
    const sb = new SnackBase(standIn.url, { apiKey: "sb_ak_test0123456789" });
    await assert.rejects(sb.auth.me(), (e) => e.status === 401);
    assert.equal(standIn.state.requests.length, 1);
    assert.equal(standIn.state.requests[0].headers.authorization, "Bearer sb_ak_test0123456789");
    assert.equal(standIn.state.refreshes, 0);
  } finally { await standIn.close(); }
});

test("against a stand-in server: API key mode on the realtime stream sends the key", async () => {
  const standIn = await startStandIn({ realtime: (req, res) => { sse(res).event(1, "record.created", { collection: "posts", record: { id: "rec_1" } }); } });
  const sb = new SnackBase(standIn.url, { apiKey: "sb_ak_test0123456789" });
  const events = [];
  const sub = sb.subscribe("posts", fast, (e) => events.push(e));
  try {
    await until(() => events.length === 1, 3000, "event");
    assert.equal(standIn.state.requests[0].headers.authorization, "Bearer sb_ak_test0123456789");
  } finally { sub.close(); await standIn.close(); }
});

// ---- realtime: the subscribe loop ----

test("against a stand-in server: subscribe sends topics, filter (form-encoded) and the bearer in a header", async () => {
  const standIn = await startStandIn({ realtime: (req, res) => { sse(res).raw(": ping\n\n"); } });
  const sb = await signedIn(standIn.url);
  let opened = 0;
  const sub = sb.subscribe(["posts"], { ...fast, filter: 'status == "draft"', onOpen: () => opened++ }, () => {});
  try {
    await until(() => opened === 1, 3000, "open");
    const r = standIn.state.requests[0];
    assert.equal(r.query.get("topics"), "posts");
    assert.equal(r.query.get("filter"), 'status == "draft"');
    assert.match(r.rawUrl, /filter=status\+%3D%3D\+%22draft%22/);
    assert.match(r.headers.authorization, /^Bearer /);
    assert.equal(r.headers.accept, "text/event-stream");
    assert.equal(r.query.get("ticket"), null);
    assert.equal(r.headers["last-event-id"], undefined);
  } finally { sub.close(); await standIn.close(); }
});

test("against a stand-in server: subscribe reconnects with Last-Event-ID, refreshes on 'token expired', passes 'reset' on", async () => {
  const standIn = await startStandIn({ realtime: (req, res, n) => {
    const s = sse(res);
    if (n === 1) { // two events, then the connection drops without `closed`
      s.event(1, "record.created", { collection: "posts", record: { id: "rec_1", title: "a" }, at: "2026-01-05T10:00:00.000Z" });
      s.raw(": ping\n\n");
      s.event(2, "record.updated", { collection: "posts", record: { id: "rec_1", title: "b" }, at: "2026-01-05T10:00:01.000Z" });
      setTimeout(() => res.destroy(), 30);
    } else if (n === 2) { // one event, then the token expires
      s.event(3, "record.deleted", { collection: "posts", record: { id: "rec_1" }, at: "2026-01-05T10:00:02.000Z" });
      s.closed("token expired");
    } else if (n === 3) { // the buffer no longer holds the id: reset, then live events
      s.event(10, "reset", {});
      s.event(11, "record.created", { collection: "posts", record: { id: "rec_2" }, at: "2026-01-05T10:00:03.000Z" });
    }
  } });
  const sb = await signedIn(standIn.url);
  const events = [];
  const errors = [];
  const sub = sb.subscribe("posts", { ...fast, onError: (e, info) => errors.push({ e, info }) }, (e) => events.push(e));
  try {
    await until(() => events.length === 5, 5000, "five events");
    assert.deepEqual(events.map((e) => [e.id, e.event]),
      [["1", "record.created"], ["2", "record.updated"], ["3", "record.deleted"], ["10", "reset"], ["11", "record.created"]]);
    assert.deepEqual(events[1].data, { collection: "posts", record: { id: "rec_1", title: "b" }, at: "2026-01-05T10:00:01.000Z" });
    const opens = standIn.state.requests.filter((r) => r.path === "/api/v1/realtime");
    assert.equal(opens.length, 3);
    assert.equal(opens[0].headers["last-event-id"], undefined);
    assert.equal(opens[1].headers["last-event-id"], "2");
    assert.equal(opens[2].headers["last-event-id"], "3");
    assert.equal(standIn.state.refreshes, 1, "one refresh for 'token expired'");
    assert.notEqual(opens[2].headers.authorization, opens[1].headers.authorization, "reconnected with the new token");
    assert.equal(opens[1].headers.authorization, opens[0].headers.authorization);
    assert.ok(errors.every(({ info }) => !info.fatal));
  } finally { sub.close(); await standIn.close(); }
});

test("against a stand-in server: subscribe resumes from the lastEventId option", async () => {
  const standIn = await startStandIn({ realtime: (req, res) => { sse(res).raw(": ping\n\n"); } });
  const sb = await signedIn(standIn.url);
  let opened = 0;
  const sub = sb.subscribe("posts", { ...fast, lastEventId: "77", onOpen: () => opened++ }, () => {});
  try {
    await until(() => opened === 1, 3000, "open");
    assert.equal(standIn.state.requests[0].headers["last-event-id"], "77");
  } finally { sub.close(); await standIn.close(); }
});

for (const reason of ["revoked", "forbidden"]) {
  test(`against a stand-in server: 'closed' with reason '${reason}' stops the subscription and reports it`, async () => {
    const standIn = await startStandIn({ realtime: (req, res) => {
      const s = sse(res);
      s.event(1, "record.created", { collection: "posts", record: { id: "rec_1" } });
      s.closed(reason);
    } });
    const sb = await signedIn(standIn.url);
    const events = [];
    const errors = [];
    const sub = sb.subscribe("posts", { ...fast, onError: (e, info) => errors.push({ e, info }) }, (e) => events.push(e));
    try {
      await until(() => errors.length === 1, 3000, "error");
      await new Promise((r) => setTimeout(r, 200)); // long enough for several reconnections, were there any
      assert.equal(standIn.state.realtimeConnections, 1);
      assert.equal(errors.length, 1);
      assert.equal(errors[0].info.fatal, true);
      assert.ok(errors[0].e instanceof SnackBaseError);
      assert.match(errors[0].e.message, new RegExp(reason));
      assert.deepEqual(events.map((e) => e.event), ["record.created"], "'closed' itself is not an app event");
      assert.equal(standIn.state.refreshes, 0);
    } finally { sub.close(); await standIn.close(); }
  });
}

test("against a stand-in server: 'slow consumer' and 'shutdown' reconnect with back-off and Last-Event-ID", async () => {
  const standIn = await startStandIn({ realtime: (req, res, n) => {
    const s = sse(res);
    if (n === 1) { s.event(5, "record.created", { collection: "posts", record: { id: "rec_5" } }); s.closed("slow consumer"); }
    else if (n === 2) { s.closed("shutdown"); }
    else s.raw(": ping\n\n");
  } });
  const sb = await signedIn(standIn.url);
  const errors = [];
  const sub = sb.subscribe("posts", { ...fast, onError: (e, info) => errors.push(info) }, () => {});
  try {
    await until(() => standIn.state.realtimeConnections === 3, 3000, "third connection");
    const opens = standIn.state.requests.filter((r) => r.path === "/api/v1/realtime");
    assert.equal(opens[1].headers["last-event-id"], "5");
    assert.equal(opens[2].headers["last-event-id"], "5");
    assert.deepEqual(errors, [{ fatal: false }, { fatal: false }]);
    assert.equal(standIn.state.refreshes, 0);
  } finally { sub.close(); await standIn.close(); }
});

test("against a stand-in server: a 401 when opening refreshes once and reconnects", async () => {
  const standIn = await startStandIn({ realtime: (req, res, n, state) => {
    if (!state.tokens.has(req.headers.authorization?.slice(7))) {
      res.writeHead(401, { "Content-Type": "application/json" });
      return res.end(JSON.stringify({ error: "Unauthorized", message: "Token expired" }));
    }
    sse(res).event(1, "record.created", { collection: "posts", record: { id: "rec_1" } });
  } });
  const sb = await signedIn(standIn.url);
  const events = [];
  const sub = sb.subscribe("posts", fast, (e) => events.push(e));
  try {
    await until(() => events.length === 1, 3000, "event");
    assert.equal(standIn.state.refreshes, 1);
    assert.equal(standIn.state.realtimeConnections, 2);
  } finally { sub.close(); await standIn.close(); }
});

test("against a stand-in server: a 403 when opening stops with the API's error", async () => {
  const standIn = await startStandIn({ realtime: (req, res) => {
    res.writeHead(403, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ error: "Forbidden", message: "You cannot read posts" }));
  } });
  const sb = await signedIn(standIn.url);
  const errors = [];
  const sub = sb.subscribe("posts", { ...fast, onError: (e, info) => errors.push({ e, info }) }, () => {});
  try {
    await until(() => errors.length === 1, 3000, "error");
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(standIn.state.realtimeConnections, 1);
    assert.equal(errors[0].info.fatal, true);
    assert.equal(errors[0].e.status, 403);
    assert.equal(errors[0].e.details.message, "You cannot read posts");
  } finally { sub.close(); await standIn.close(); }
});

test("against a stand-in server: 429 when opening waits Retry-After, then reconnects", async () => {
  const standIn = await startStandIn({ realtime: (req, res, n) => {
    if (n === 1) {
      res.writeHead(429, { "Content-Type": "application/json", "Retry-After": "1" });
      return res.end(JSON.stringify({ error: "Too Many Requests", message: "Too many streams" }));
    }
    sse(res).raw(": ping\n\n");
  } });
  const sb = await signedIn(standIn.url);
  const errors = [];
  let openedAt = 0;
  const started = Date.now();
  const sub = sb.subscribe("posts", { ...fast, onError: (e) => errors.push(e), onOpen: () => { openedAt = Date.now(); } }, () => {});
  try {
    await until(() => openedAt > 0, 4000, "open");
    assert.ok(openedAt - started >= 950, `waited ${openedAt - started} ms`);
    assert.equal(errors[0].status, 429);
    assert.equal(errors[0].retryAfter, 1);
  } finally { sub.close(); await standIn.close(); }
});

test("against a stand-in server: a silent stream (no event, no ping) is reconnected after idleTimeout", async () => {
  const standIn = await startStandIn({ realtime: (req, res, n) => {
    const s = sse(res);
    if (n === 1) s.event(4, "record.created", { collection: "posts", record: { id: "rec_4" } }); // then silence
    else s.raw(": ping\n\n");
  } });
  const sb = await signedIn(standIn.url);
  const sub = sb.subscribe("posts", { ...fast, idleTimeout: 150 }, () => {});
  try {
    await until(() => standIn.state.realtimeConnections >= 2, 3000, "reconnection");
    assert.equal(standIn.state.requests.filter((r) => r.path === "/api/v1/realtime")[1].headers["last-event-id"], "4");
  } finally { sub.close(); await standIn.close(); }
});

test("against a stand-in server: the server's retry: field sets the reconnection delay", async () => {
  const standIn = await startStandIn({ realtime: (req, res, n) => {
    const s = sse(res);
    if (n === 1) { s.raw("retry: 400\n\n"); s.closed("shutdown"); } else s.raw(": ping\n\n");
  } });
  const sb = await signedIn(standIn.url);
  const times = [];
  const sub = sb.subscribe("posts", { ...fast, onOpen: () => times.push(Date.now()) }, () => {});
  try {
    await until(() => times.length === 2, 3000, "second open");
    const gap = times[1] - times[0];
    assert.ok(gap >= 280 && gap < 1500, `gap ${gap} ms`); // 75–100 % of 400 ms, plus scheduling
  } finally { sub.close(); await standIn.close(); }
});

test("against a stand-in server: close() ends the stream and nothing reconnects", async () => {
  const standIn = await startStandIn({ realtime: (req, res) => { sse(res).raw(": ping\n\n"); } });
  const sb = await signedIn(standIn.url);
  let opened = 0;
  const sub = sb.subscribe("posts", { ...fast, onOpen: () => opened++ }, () => {});
  try {
    await until(() => opened === 1, 3000, "open");
    sub.close();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(standIn.state.realtimeConnections, 1);
  } finally { sub.close(); await standIn.close(); }
});

// ---- routes the live server does not have yet: the request each function sends ----

test("against a stand-in server: the client never touches localStorage by default", async () => {
  const touched = [];
  const spy = new Proxy({}, { get: (_, key) => { touched.push(key); return () => null; } });
  const had = Object.getOwnPropertyDescriptor(globalThis, "localStorage");
  Object.defineProperty(globalThis, "localStorage", { value: spy, configurable: true });
  const standIn = await startStandIn({ routes: mfaRoutes() });
  try {
    const sb = new SnackBase(standIn.url);
    await sb.auth.login({ account: "acme", email: "ann@acme.test", password: "x" });
    await sb.auth.refresh();
    await sb.auth.me();
    assert.deepEqual(touched, []);
  } finally {
    if (had) Object.defineProperty(globalThis, "localStorage", had); else delete globalThis.localStorage;
    await standIn.close();
  }
});

const echo = ({ req, body, json, url }) => {
  if (req.method === "DELETE" || url.pathname.endsWith("/password-reset/confirm") || url.pathname.endsWith("/auth/password")) return json(204);
  return json(req.method === "POST" ? 201 : 200, { echoed: true, token: "t", refresh_token: "r", expires_in: 60, body: body ?? null });
};

const routeTable = [
  ["auth.enrollMfa()", (sb) => sb.auth.enrollMfa(), "POST", "/api/v1/auth/mfa/totp", undefined],
  ["auth.confirmMfa(code)", (sb) => sb.auth.confirmMfa("123456"), "POST", "/api/v1/auth/mfa/totp/confirm", { code: "123456" }],
  ["auth.disableMfa(code)", (sb) => sb.auth.disableMfa("123456"), "DELETE", "/api/v1/auth/mfa/totp", { code: "123456" }],
  ["auth.changePassword", (sb) => sb.auth.changePassword({ currentPassword: "Old-pass-word-1!", newPassword: "Str0ng-pass-word!" }), "POST", "/api/v1/auth/password", { current_password: "Old-pass-word-1!", new_password: "Str0ng-pass-word!" }],
  ["auth.requestPasswordReset", (sb) => sb.auth.requestPasswordReset({ account: "acme", email: "a@b.c" }), "POST", "/api/v1/auth/password-reset", { account: "acme", email: "a@b.c" }, true],
  ["auth.confirmPasswordReset", (sb) => sb.auth.confirmPasswordReset({ token: "tok", password: "Str0ng-pass-word!" }), "POST", "/api/v1/auth/password-reset/confirm", { token: "tok", password: "Str0ng-pass-word!" }, true],
  ["auth.verifyEmail", (sb) => sb.auth.verifyEmail({ token: "tok" }), "POST", "/api/v1/auth/verify-email", { token: "tok" }, true],
  ["auth.resendVerification", (sb) => sb.auth.resendVerification(), "POST", "/api/v1/auth/verify-email/resend", undefined],
  ["auth.acceptInvitation", (sb) => sb.auth.acceptInvitation({ token: "tok", password: "Str0ng-pass-word!" }), "POST", "/api/v1/auth/accept-invitation", { token: "tok", password: "Str0ng-pass-word!" }, true],
  ["rules.check", (sb) => sb.rules.check({ collection: "posts", rule: 'status == "draft"', operation: "read" }), "POST", "/api/v1/rules/check", { collection: "posts", rule: 'status == "draft"', operation: "read" }],
  ["apiKeys.create", (sb) => sb.apiKeys.create({ name: "ci", roles: ["editor"] }), "POST", "/api/v1/api-keys", { name: "ci", roles: ["editor"] }],
  ["apiKeys.list", (sb) => sb.apiKeys.list({ limit: 5 }), "GET", "/api/v1/api-keys", undefined],
  ["apiKeys.get", (sb) => sb.apiKeys.get("key_1"), "GET", "/api/v1/api-keys/key_1", undefined],
  ["apiKeys.revoke", (sb) => sb.apiKeys.revoke("key_1"), "DELETE", "/api/v1/api-keys/key_1", undefined],
  ["invitations.create", (sb) => sb.invitations.create({ email: "new@acme.test", roles: ["viewer"] }), "POST", "/api/v1/invitations", { email: "new@acme.test", roles: ["viewer"] }],
  ["invitations.list", (sb) => sb.invitations.list(), "GET", "/api/v1/invitations", undefined],
  ["invitations.revoke", (sb) => sb.invitations.revoke("inv_1"), "DELETE", "/api/v1/invitations/inv_1", undefined],
  ["users.disableMfa", (sb) => sb.users.disableMfa("usr_1"), "DELETE", "/api/v1/users/usr_1/mfa", undefined],
  ["realtime.ticket", (sb) => sb.realtime.ticket(), "POST", "/api/v1/realtime/tickets", undefined],
];

for (const [name, invoke, method, path, body, anonymous] of routeTable) {
  test(`against a stand-in server: ${name} sends ${method} ${path.replace("/api/v1", "")}`, async () => {
    const routes = { [`${method} ${path}`]: echo };
    const standIn = await startStandIn({ routes });
    try {
      const sb = await signedIn(standIn.url);
      await invoke(sb);
      const r = standIn.state.requests.at(-1);
      assert.equal(r.method, method);
      assert.equal(r.path, path);
      assert.deepEqual(r.body, body);
      if (anonymous) assert.equal(r.headers.authorization, undefined, "an unauthenticated route gets no token");
      else assert.match(r.headers.authorization, /^Bearer /);
    } finally { await standIn.close(); }
  });
}

test("against a stand-in server: metrics() reads GET /metrics as text, with the session's token", async () => {
  const text = "# TYPE snackbase_http_requests_total counter\nsnackbase_http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 3\n";
  const routes = { "GET /metrics": ({ res }) => { res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4" }); res.end(text); } };
  const standIn = await startStandIn({ routes });
  try {
    const sb = await signedIn(standIn.url);
    assert.equal(await sb.metrics(), text);
    const r = standIn.state.requests.at(-1);
    assert.equal(r.path, "/metrics");
    assert.match(r.headers.authorization, /^Bearer /);
  } finally { await standIn.close(); }
});
