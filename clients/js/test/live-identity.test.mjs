// LIVE tests of two-factor sign-in, API keys and the realtime stream: against the real server started by
// test/run.sh (SNACKBASE_URL), whose access tokens live SNACKBASE_TOKEN_TTL seconds, so that a stream is
// closed with `token expired` and the client must refresh and reconnect with Last-Event-ID by itself.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { SnackBase } from "../snackbase.js";
import { URL_, TTL, ROOT, PASSWORD, run, sleep, recordingFetch, rejectsWith } from "./live-support.mjs";

const COLL = `live_${run}`;

/** Waits for `condition` up to `ms` (a generous bound, never a timing assertion). */
async function eventually(condition, ms = 20_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await condition()) return true;
    await sleep(50);
  }
  return Boolean(await condition());
}

/** RFC 4648 base32 without padding → bytes. */
function base32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0, value = 0;
  const out = [];
  for (const c of text.replace(/=+$/, "").toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 0xff); bits -= 8; }
  }
  return Buffer.from(out);
}

/** The RFC 6238 code (HMAC-SHA1, 6 digits, 30 s) of `step`. */
function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", base32(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const number = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(number).padStart(6, "0");
}
const currentStep = () => Math.floor(Date.now() / 30_000);

/** A new account whose admin is signed in on the returned client. */
async function register(name, options = {}) {
  const sb = new SnackBase(URL_, options);
  const slug = `${name}-${run}`;
  const email = `admin@${slug}.test`;
  await sb.auth.register({ accountName: `${name} ${run}`, accountSlug: slug, email, password: PASSWORD });
  return { sb, slug, email };
}

/** Subscribes and records events, (re)connections and failures. */
function listen(sb, topics, options = {}) {
  const seen = { events: [], opens: 0, errors: [] };
  seen.sub = sb.subscribe(topics, {
    ...options,
    onOpen: () => { seen.opens += 1; },
    onError: (error, info) => seen.errors.push({ error, fatal: info.fatal }),
  }, (event) => seen.events.push(event));
  return seen;
}

before(async () => {
  const root = new SnackBase(URL_);
  await root.auth.login(ROOT);
  await root.collections.create({
    name: COLL,
    schema: { fields: [{ name: "title", type: "text", required: true }, { name: "status", type: "text" }] },
  });
  await root.auth.logout();
});

test("live: two-factor sign-in: enrol, confirm with a TOTP code, login → mfaRequired → verifyMfa (code, then a recovery code)", async () => {
  const { sb, slug, email } = await register("mfa");
  const enrolment = await sb.auth.enrollMfa();
  assert.match(enrolment.otpauth_url, /^otpauth:\/\/totp\/SnackBase:/);
  assert.equal(enrolment.recovery_codes.length, 10);
  const step = currentStep();
  await sb.auth.confirmMfa(totp(enrolment.secret, step));

  const user = new SnackBase(URL_);
  const challenge = await user.auth.login({ account: slug, email, password: PASSWORD });
  assert.equal(challenge.mfaRequired, true);
  assert.equal(typeof challenge.mfaToken, "string");
  assert.equal(await user.auth.isSignedIn(), false, "no token before the second step");
  await rejectsWith(user.auth.verifyMfa({ mfaToken: challenge.mfaToken, code: totp(enrolment.secret, step + 9) }), 401);
  // The next step's code: the confirmation used this step's, and a code works once.
  const session = await user.auth.verifyMfa({ mfaToken: challenge.mfaToken, code: totp(enrolment.secret, step + 1) });
  assert.equal(typeof session.token, "string");
  assert.equal((await user.auth.me()).email, email);

  const other = new SnackBase(URL_);
  const second = await other.auth.login({ account: slug, email, password: PASSWORD });
  await other.auth.verifyMfa({ mfaToken: second.mfaToken, recoveryCode: enrolment.recovery_codes[0] });
  assert.equal((await other.auth.me()).email, email);
  const third = await new SnackBase(URL_).auth.login({ account: slug, email, password: PASSWORD });
  await rejectsWith(new SnackBase(URL_).auth.verifyMfa({ mfaToken: third.mfaToken, recoveryCode: enrolment.recovery_codes[0] }), 401);
});

test("live: API keys: create (key shown once), list, get, a client built with the key, revoke stops it", async () => {
  const { sb } = await register("keys");
  const created = await sb.apiKeys.create({ name: "importer", roles: ["editor"] });
  assert.match(created.key, /^sb_ak_/);
  assert.equal(created.prefix, created.key.slice(0, 12));
  const listed = await sb.apiKeys.list();
  assert.equal(listed.total, 1);
  assert.equal(listed.items[0].id, created.id);
  assert.equal(listed.items[0].key, undefined, "the key is shown only once");
  assert.equal((await sb.apiKeys.get(created.id)).name, "importer");

  const rec = recordingFetch();
  const bot = new SnackBase(URL_, { apiKey: created.key, fetch: rec.fetch });
  const me = await bot.auth.me();
  assert.equal(me.api_key, true);
  assert.equal(me.user_id, created.id);
  const record = await bot.collection(COLL).create({ title: "by a key" });
  assert.equal(record.created_by, created.id);
  assert.equal((await bot.collection(COLL).list({ filter: 'title == "by a key"' })).total, 1);
  await rejectsWith(bot.apiKeys.list(), 403); // a key cannot manage keys
  await sb.apiKeys.revoke(created.id);
  await rejectsWith(bot.auth.me(), 401);
  assert.equal(rec.calls.filter((c) => c.path.endsWith("/auth/refresh")).length, 0, "a key is never refreshed");
});

test("live: subscribe receives record.created, record.updated, record.deleted from the real server", async () => {
  const { sb } = await register("rt");
  const seen = listen(sb, COLL);
  try {
    assert.ok(await eventually(() => seen.opens === 1));
    const posts = sb.collection(COLL);
    const post = await posts.create({ title: "live", status: "draft" });
    await posts.update(post.id, { status: "published" });
    await posts.delete(post.id);
    assert.ok(await eventually(() => seen.events.length >= 3), JSON.stringify(seen.events));
    assert.deepEqual(seen.events.map((e) => e.event), ["record.created", "record.updated", "record.deleted"]);
    assert.ok(seen.events.every((e) => e.data.collection === COLL && e.data.record.id === post.id));
    assert.equal(seen.events[1].data.record.status, "published");
    const ids = seen.events.map((e) => Number(e.id));
    assert.deepEqual([...ids].sort((a, b) => a - b), ids, "event ids increase");
  } finally {
    seen.sub.close();
  }
});

test("live: a filter with spaces, quotes and unicode narrows the events; an unreadable topic stops with 404", async () => {
  const { sb } = await register("rtf");
  const seen = listen(sb, COLL, { filter: 'status == "pub \\"lished\\" ✓"' });
  try {
    assert.ok(await eventually(() => seen.opens === 1));
    await sb.collection(COLL).create({ title: "hidden", status: "draft" });
    await sb.collection(COLL).create({ title: "shown", status: 'pub "lished" ✓' });
    assert.ok(await eventually(() => seen.events.length >= 1));
    await sleep(300);
    assert.deepEqual(seen.events.map((e) => e.data.record.title), ["shown"]);
  } finally {
    seen.sub.close();
  }
  const refused = listen(sb, "nosuchcollection");
  assert.ok(await eventually(() => refused.errors.length > 0));
  assert.equal(refused.errors[0].fatal, true);
  assert.equal(refused.errors[0].error.status, 404);
});

test("live: the stream closed by `token expired` is reopened with a fresh token and Last-Event-ID; no event twice", async () => {
  const rec = recordingFetch();
  const { sb } = await register("rtx", { fetch: rec.fetch });
  const seen = listen(sb, COLL);
  try {
    assert.ok(await eventually(() => seen.opens === 1));
    await sb.collection(COLL).create({ title: "before" });
    assert.ok(await eventually(() => seen.events.length === 1));
    const before = seen.events[0].id;
    // The server closes the stream when its token expires (TTL seconds); the client refreshes and reconnects.
    // (On a slow machine the first token may expire before "before" arrives: then a later reconnection sends it.)
    const opens = () => rec.calls.filter((c) => c.path === "/api/v1/realtime");
    const resumed = () => opens().find((c) => c.headers["Last-Event-ID"] === before);
    assert.ok(await eventually(() => resumed(), (TTL + 20) * 1000), JSON.stringify(opens().map((c) => c.headers["Last-Event-ID"])));
    assert.equal(opens()[0].headers["Last-Event-ID"], undefined);
    assert.notEqual(resumed().headers.Authorization, opens()[0].headers.Authorization, "a fresh token");
    await sb.collection(COLL).create({ title: "after" });
    assert.ok(await eventually(() => seen.events.some((e) => e.data.record.title === "after")));
    assert.equal(seen.events.filter((e) => e.data.record?.title === "before").length, 1);
    assert.equal(seen.errors.filter((e) => e.fatal).length, 0, JSON.stringify(seen.errors.map((e) => e.error.message)));
  } finally {
    seen.sub.close();
  }
});

test("live: subscribe with lastEventId resumes: the events missed while away arrive first", async () => {
  const { sb } = await register("rtr");
  const first = listen(sb, COLL);
  assert.ok(await eventually(() => first.opens === 1));
  await sb.collection(COLL).create({ title: "one" });
  assert.ok(await eventually(() => first.events.length === 1));
  first.sub.close();
  const seenId = first.events[0].id;
  await sb.collection(COLL).create({ title: "two" });
  await sb.collection(COLL).create({ title: "three" });
  const second = listen(sb, COLL, { lastEventId: seenId });
  try {
    assert.ok(await eventually(() => second.events.length >= 2));
    assert.deepEqual(second.events.map((e) => e.data.record.title), ["two", "three"]);
  } finally {
    second.sub.close();
  }
});

test("live: after logout the next event ends an open stream (`revoked`): the subscription stops and says so", async () => {
  const { sb, slug, email } = await register("rtl");
  const other = new SnackBase(URL_);
  await other.auth.login({ account: slug, email, password: PASSWORD });
  const seen = listen(other, COLL);
  try {
    assert.ok(await eventually(() => seen.opens === 1));
    await other.auth.logout();
    // The server finds the caller gone when it next has an event for the stream.
    await sb.collection(COLL).create({ title: "after the logout" });
    assert.ok(await eventually(() => seen.errors.some((e) => e.fatal)), JSON.stringify(seen.errors.map((e) => e.error.message)));
    const fatal = seen.errors.find((e) => e.fatal).error;
    assert.equal(fatal.status, 401);
    // `revoked`; or, when the 3-second token ran out first on a slow machine, the refresh a signed-out client cannot make.
    assert.match(fatal.message, /revoked|Not signed in/);
    assert.equal(seen.events.length, 0, "the signed-out caller got no event");
  } finally {
    seen.sub.close();
  }
});
