// LIVE tests: against a real SnackBase server started by test/run.sh (SNACKBASE_URL), with a short
// access-token lifetime (SNACKBASE_TOKEN_TTL seconds) so that refreshing is exercised for real.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { SnackBase } from "../snackbase.js";
import { URL_, TTL, ROOT, PASSWORD, run, sleep, recordingFetch, rejectsWith } from "./live-support.mjs";

const slug = `js-${run}`;
const adminEmail = `admin-${run}@example.com`;
const COLL = `posts_${run}`;

let root; // superadmin
let admin; // the registered account's admin
let registered; // the register answer
const ids = {};

before(async () => {
  root = new SnackBase(URL_);
  await root.auth.login(ROOT);
  await root.collections.create({
    name: COLL,
    description: "posts of the JS client tests",
    schema: { fields: [
      { name: "title", type: "text", required: true },
      { name: "status", type: "text" },
      { name: "views", type: "number" },
    ] },
  });
});

test("live: health", async () => {
  assert.deepEqual(await new SnackBase(URL_).health(), { status: "ok" });
});

test("live: register creates an account and signs in as its admin", async () => {
  admin = new SnackBase(URL_ + "/");
  registered = await admin.auth.register({ accountName: `JS ${run}`, accountSlug: slug, email: adminEmail, password: PASSWORD });
  assert.equal(registered.account.slug, slug);
  assert.match(registered.account.id, /^[A-Z]{2}\d{4}$/);
  assert.equal(registered.user.email, adminEmail);
  assert.ok(registered.user.roles.includes("admin"));
  assert.ok(registered.token && registered.refresh_token);
  assert.equal(registered.expires_in, TTL);
  assert.equal(await admin.auth.isSignedIn(), true);
  const me = await admin.auth.me();
  assert.equal(me.email, adminEmail);
  assert.equal(me.account_id, registered.account.id);
  assert.equal(me.is_superadmin, false);
});

test("live: login by slug and by id; me", async () => {
  for (const account of [slug, registered.account.id]) {
    const sb = new SnackBase(URL_);
    const session = await sb.auth.login({ account, email: adminEmail, password: PASSWORD });
    assert.equal(session.mfaRequired, undefined);
    assert.equal(session.account.id, registered.account.id);
    assert.equal(session.user.email, adminEmail);
    assert.equal((await sb.auth.me()).user_id, registered.user.id);
  }
  assert.equal((await root.auth.me()).is_superadmin, true);
});

test("live: a wrong password is a SnackBaseError 401 with the API's error JSON", async () => {
  const sb = new SnackBase(URL_);
  const e = await rejectsWith(sb.auth.login({ account: slug, email: adminEmail, password: "Wrong-pass-word1!" }), 401);
  assert.equal(typeof e.details.error, "string");
  assert.equal(await sb.auth.isSignedIn(), false);
});

test("live: an access token past its expiry is refreshed before the call (one refresh)", async () => {
  const rec = recordingFetch();
  const sb = new SnackBase(URL_, { fetch: rec.fetch });
  await sb.auth.login({ account: slug, email: adminEmail, password: PASSWORD });
  await sleep(TTL * 1000 + 1200);
  assert.equal((await sb.auth.me()).email, adminEmail);
  assert.equal(rec.count("POST", "/api/v1/auth/refresh"), 1);
  assert.equal(rec.count("GET", "/api/v1/auth/me"), 1, "no 401 round trip: refreshed first");
});

test("live: a 401 refreshes once and retries the request once", async () => {
  const donor = new SnackBase(URL_);
  const session = await donor.auth.login({ account: slug, email: adminEmail, password: PASSWORD });
  // A token the server refuses (one signature character changed) while its `exp` still looks fine.
  const [h, p, s] = session.token.split(".");
  const bad = `${h}.${p}.${s[0] === "A" ? "B" : "A"}${s.slice(1)}`;
  const store = new Map([["snackbase.token", bad], ["snackbase.refresh_token", session.refresh_token]]);
  const storage = { get: async (k) => store.get(k), set: async (k, v) => { store.set(k, v); }, remove: async (k) => { store.delete(k); } };
  const rec = recordingFetch();
  const sb = new SnackBase(URL_, { fetch: rec.fetch, storage });
  assert.equal((await sb.auth.me()).email, adminEmail);
  assert.equal(rec.count("GET", "/api/v1/auth/me"), 2);
  assert.equal(rec.count("POST", "/api/v1/auth/refresh"), 1);
  assert.notEqual(store.get("snackbase.token"), bad, "the async storage adapter holds the new token");
  assert.notEqual(store.get("snackbase.refresh_token"), session.refresh_token, "rotated");
});

test("live: concurrent callers share one refresh", async () => {
  const rec = recordingFetch();
  const sb = new SnackBase(URL_, { fetch: rec.fetch });
  await sb.auth.login({ account: slug, email: adminEmail, password: PASSWORD });
  await sleep(TTL * 1000 + 1200);
  const answers = await Promise.all([
    sb.auth.me(), sb.users.list(), sb.roles.list(), sb.collection(COLL).list(), sb.collections.list(), sb.auth.me(),
  ]);
  assert.equal(answers.length, 6);
  assert.equal(rec.count("POST", "/api/v1/auth/refresh"), 1);
  // and explicit refresh() calls at once share one request too
  const [a, b, c] = await Promise.all([sb.auth.refresh(), sb.auth.refresh(), sb.auth.refresh()]);
  assert.equal(rec.count("POST", "/api/v1/auth/refresh"), 2);
  assert.ok(a === b && b === c);
  assert.equal((await sb.auth.me()).email, adminEmail, "the family was not revoked as a reuse");
});

test("live: logout revokes the refresh token and the access token, and forgets both", async () => {
  const sb = new SnackBase(URL_);
  const session = await sb.auth.login({ account: slug, email: adminEmail, password: PASSWORD });
  await sb.auth.logout();
  assert.equal(await sb.auth.isSignedIn(), false);
  await rejectsWith(sb.auth.me(), 401);
  const stale = new SnackBase(URL_);
  await stale.auth.setSession({ token: session.token, refresh_token: session.refresh_token, expires_in: TTL });
  const rec = recordingFetch();
  const probe = new SnackBase(URL_, { fetch: rec.fetch });
  await probe.auth.setSession({ token: session.token, refresh_token: session.refresh_token, expires_in: TTL });
  await rejectsWith(probe.auth.me(), 401); // access token revoked → refresh refused → 401
  assert.equal(rec.count("POST", "/api/v1/auth/refresh"), 1);
  assert.equal(await probe.auth.isSignedIn(), false, "a refused refresh forgets the session");
  await rejectsWith(stale.auth.refresh(), 401);
});

test("live: errors 403, 404, 409, 422 (with details), 400", async () => {
  await rejectsWith(admin.accounts.list(), 403); // superadmin only
  await rejectsWith(admin.collection(COLL).get("rec_doesnotexist000000000"), 404);
  await rejectsWith(root.collections.get(`nope_${run}`), 404);
  await rejectsWith(admin.roles.create({ name: "editor" }), 409);
  const weak = await rejectsWith(admin.users.create({ email: `weak-${run}@example.com`, password: "short", roles: ["viewer"] }), 422);
  assert.ok(Array.isArray(weak.details.details) && weak.details.details.length > 0, JSON.stringify(weak.details));
  assert.ok(weak.details.details.some((d) => d.field === "password"), JSON.stringify(weak.details));
  await rejectsWith(admin.collection(COLL).list({ limit: 1000 }), 400);
});

test("live: collections CRUD as superadmin; anyone signed in reads", async () => {
  const name = `tmp_${run}`;
  const created = await root.collections.create({ name, schema: { fields: [{ name: "label", type: "text" }] } });
  assert.equal(created.name, name);
  const list = await root.collections.list();
  assert.ok(list.items.some((c) => c.name === name));
  assert.equal((await admin.collections.get(name)).name, name);
  const updated = await root.collections.update(name, { description: "changed", schema: { fields: [{ name: "label", type: "text" }, { name: "n", type: "number" }] } });
  assert.equal(updated.description, "changed");
  assert.deepEqual(updated.schema.fields.map((f) => f.name), ["label", "n"]);
  await rejectsWith(admin.collections.create({ name: `x_${run}`, schema: { fields: [] } }), 403);
  await rejectsWith(root.collections.create({ name, schema: { fields: [] } }), 409);
  assert.equal(await root.collections.delete(name), undefined);
  await rejectsWith(root.collections.get(name), 404);
});

test("live: records create, get, update (PATCH), replace (PUT), delete", async () => {
  const posts = admin.collection(COLL);
  const rec = await posts.create({ title: "Hello", status: "draft", views: 1 });
  assert.match(rec.id, /^rec_/);
  assert.equal(rec.account_id, registered.account.id);
  assert.equal(rec.created_by, registered.user.id);
  assert.equal((await posts.get(rec.id)).title, "Hello");
  const patched = await posts.update(rec.id, { views: 2 });
  assert.equal(patched.views, 2);
  assert.equal(patched.title, "Hello");
  const replaced = await posts.replace(rec.id, { title: "Replaced" });
  assert.equal(replaced.title, "Replaced");
  assert.equal(replaced.views ?? null, null, "PUT replaces every user field");
  assert.equal(await posts.delete(rec.id), undefined);
  await rejectsWith(posts.get(rec.id), 404);
  await rejectsWith(posts.create({ status: "draft" }), 422); // title is required
});

test("live: list with a filter containing spaces and quotes, sort, fields, paging, shortcuts", async () => {
  const posts = admin.collection(COLL);
  const rows = [
    ["a", "draft", 5], ["b", "published", 3], ["c", "draft", 9], ["d", "draft", 1], ["e", "published", 7],
  ];
  for (const [title, status, views] of rows) await posts.create({ title: `p-${title}`, status, views });

  const rec = recordingFetch();
  const viaRecorder = new SnackBase(URL_, { fetch: rec.fetch });
  await viaRecorder.auth.login({ account: slug, email: adminEmail, password: PASSWORD });
  const drafts = await viaRecorder.collection(COLL).list({ filter: 'status == "draft"', sort: "-views" });
  const sent = rec.calls.find((c) => c.path === `/api/v1/records/${COLL}`);
  assert.match(sent.search, /filter=status\+%3D%3D\+%22draft%22/, "form encoding: spaces as +");
  assert.equal(drafts.total, 3);
  assert.deepEqual(drafts.items.map((r) => r.title), ["p-c", "p-a", "p-d"]);

  const combined = await posts.list({ filter: 'status == "draft" && views > 2', sort: ["views"] });
  assert.deepEqual(combined.items.map((r) => r.title), ["p-a", "p-c"]);

  const page = await posts.list({ sort: "views", skip: 1, limit: 2 });
  assert.equal(page.total, 5);
  assert.equal(page.skip, 1);
  assert.equal(page.limit, 2);
  assert.deepEqual(page.items.map((r) => r.views), [3, 5]);

  const slim = await posts.list({ fields: ["id", "title"], sort: "title", limit: 1 });
  assert.deepEqual(Object.keys(slim.items[0]).sort(), ["id", "title"]);
  assert.equal(slim.items[0].title, "p-a");

  const published = await posts.list({ status: "published", sort: "title" });
  assert.deepEqual(published.items.map((r) => r.title), ["p-b", "p-e"]);

  const bad = await rejectsWith(posts.list({ filter: 'status == "draft' }), 400);
  assert.ok(bad.details.details?.some((d) => typeof d.position === "number"), JSON.stringify(bad.details));
});

test("live: users create, list, get, update, delete (deactivate stops the user's tokens)", async () => {
  const email = `viewer-${run}@example.com`;
  const user = await admin.users.create({ email, password: PASSWORD, roles: ["viewer"] });
  ids.viewer = user.id;
  assert.match(user.id, /^usr_/);
  assert.deepEqual(user.roles, ["viewer"]);
  assert.equal(user.password_hash, undefined);
  const list = await admin.users.list();
  assert.ok(list.items.some((u) => u.id === user.id));
  assert.equal((await admin.users.get(user.id)).email, email);
  assert.deepEqual((await admin.users.update(user.id, { roles: ["viewer", "editor"] })).roles.sort(), ["editor", "viewer"]);
  await admin.users.update(user.id, { roles: ["viewer"] });

  const viewer = new SnackBase(URL_);
  await viewer.auth.login({ account: slug, email, password: PASSWORD });
  assert.equal((await viewer.collection(COLL).list()).total, 5);
  await rejectsWith(viewer.collection(COLL).create({ title: "nope" }), 403);
  await rejectsWith(viewer.users.list(), 403);

  const doomed = await admin.users.create({ email: `doomed-${run}@example.com`, password: PASSWORD, roles: ["viewer"] });
  const doomedClient = new SnackBase(URL_);
  await doomedClient.auth.login({ account: slug, email: doomed.email, password: PASSWORD });
  await admin.users.delete(doomed.id);
  assert.equal((await admin.users.get(doomed.id)).is_active, false);
  await rejectsWith(doomedClient.auth.me(), 401);
});

test("live: roles create, list, get, update, permissionsOf, delete (409 while held, then force)", async () => {
  const role = await admin.roles.create({
    name: "reviewer", description: "reads drafts",
    permissions: [{ collection: COLL, read: true, rules: { read: 'status == "draft"' } }],
  });
  ids.reviewerRole = role.id;
  assert.match(role.id, /^role_/);
  assert.equal(role.name, "reviewer");
  const list = await admin.roles.list();
  const names = (list.items ?? list).map((r) => r.name);
  for (const n of ["admin", "editor", "viewer", "anonymous", "reviewer"]) assert.ok(names.includes(n), n);
  const got = await admin.roles.get(role.id);
  assert.equal(got.permissions.length, 1);
  assert.equal((await admin.roles.update(role.id, { description: "reads drafts only" })).description, "reads drafts only");
  const perms = await admin.roles.permissionsOf(role.id);
  assert.equal((perms.items ?? perms)[0].collection, COLL);

  const holder = await admin.users.create({ email: `reviewer-${run}@example.com`, password: PASSWORD, roles: ["reviewer"] });
  const reviewer = new SnackBase(URL_);
  await reviewer.auth.login({ account: slug, email: holder.email, password: PASSWORD });
  const seen = await reviewer.collection(COLL).list();
  assert.equal(seen.total, 3, "the read rule applies inside the query");
  ids.reviewerUser = holder.id;

  const temp = await admin.roles.create({ name: `temp-${run}` });
  await admin.users.update(holder.id, { roles: ["reviewer", temp.name] });
  await rejectsWith(admin.roles.delete(temp.id), 409);
  assert.equal(await admin.roles.delete(temp.id, { force: true }), undefined);
  await rejectsWith(admin.roles.get(temp.id), 404);
});

test("live: permissions create, list, get, update, replace, delete; a bad rule is a 400 with position", async () => {
  const role = await admin.roles.create({ name: "permtest" });
  const perm = await admin.permissions.create({ role: "permtest", collection: COLL, create: true, fields: ["title", "status"] });
  assert.match(perm.id, /^perm_/);
  assert.equal(perm.create, true);
  assert.equal(perm.delete, false);
  // one permission per (role, collection): a second one is a conflict
  await rejectsWith(admin.permissions.create({ role: "permtest", collection: COLL, read: true }), 409);
  const byRole = await admin.permissions.list({ role_id: role.id });
  assert.ok(byRole.items.some((p) => p.id === perm.id));
  const byCollection = await admin.permissions.list({ collection: COLL });
  assert.ok(byCollection.items.every((p) => p.collection === COLL));
  assert.equal((await admin.permissions.get(perm.id)).role_id, role.id);
  const patched = await admin.permissions.update(perm.id, { update: true });
  assert.equal(patched.update, true);
  assert.equal(patched.create, true);
  const replaced = await admin.permissions.replace(perm.id, { role_id: role.id, collection: COLL, read: true });
  assert.equal(replaced.create, false, "PUT: a missing flag means false");
  assert.equal(replaced.read, true);
  const bad = await rejectsWith(admin.permissions.create({ role: "permtest", collection: `later_${run}`, read: true, rules: { read: "status ==" } }), 400);
  assert.ok(bad.details.details?.some((d) => typeof d.position === "number"), JSON.stringify(bad.details));
  assert.equal(await admin.permissions.delete(perm.id), undefined);
  await rejectsWith(admin.permissions.get(perm.id), 404);
});

test("live: explain (POST /permissions/check) says why", async () => {
  const yes = await admin.explain({ user_id: ids.viewer, collection: COLL, operation: "read" });
  assert.equal(yes.allowed, true);
  assert.equal(yes.role, "viewer");
  assert.ok(Array.isArray(yes.visible_fields));
  const no = await admin.permissions.check({ user_id: ids.viewer, collection: COLL, operation: "delete" });
  assert.equal(no.allowed, false);
  assert.equal(no.status, 403);
  assert.equal(typeof no.reason, "string");
});

test("live: anonymous access sends X-Account and acts with the anonymous role", async () => {
  const rec = recordingFetch();
  const anon = new SnackBase(URL_, { account: slug, fetch: rec.fetch });
  await rejectsWith(anon.collection(COLL).list(), 401);
  assert.equal(rec.calls[0].headers["X-Account"], slug);
  assert.equal(rec.calls[0].headers.Authorization, undefined);
  await admin.permissions.create({ role: "anonymous", collection: COLL, read: true, rules: { read: 'status == "published"' } });
  const page = await anon.collection(COLL).list({ sort: "title" });
  assert.deepEqual(page.items.map((r) => r.title), ["p-b", "p-e"]);
  await anon.auth.login({ account: slug, email: adminEmail, password: PASSWORD });
  await anon.collection(COLL).list({ limit: 1 });
  const last = rec.calls.at(-1);
  assert.equal(last.headers["X-Account"], undefined, "signed in: the bearer, not X-Account");
  assert.match(last.headers.Authorization, /^Bearer /);
});

test("live: accounts CRUD as superadmin", async () => {
  const acc = await root.accounts.create({ name: `Other ${run}`, slug: `other-${run}` });
  assert.match(acc.id, /^[A-Z]{2}\d{4}$/);
  assert.ok((await root.accounts.list({ limit: 100 })).total >= 3);
  assert.equal((await root.accounts.get(acc.id)).slug, `other-${run}`);
  assert.equal((await root.accounts.update(acc.id, { name: "Renamed" })).name, "Renamed");
  assert.equal(await root.accounts.delete(acc.id), undefined);
  await rejectsWith(root.accounts.get(acc.id), 404);
});

test("live: audit list, get, verify, export as JSONL and CSV", async () => {
  const page = await admin.audit.list({ limit: 50 });
  assert.ok(page.total > 0);
  assert.ok(page.items.every((e) => e.account_id === registered.account.id), "an admin sees its own account");
  const creates = await admin.audit.list({ action: "record.create", collection: COLL });
  assert.ok(creates.items.length >= 5);
  assert.ok(creates.items.every((e) => e.action === "record.create"));
  const one = await admin.audit.get(page.items[0].id);
  assert.equal(one.id, page.items[0].id);
  assert.match(one.hash, /\S/);
  const verdict = await admin.audit.verify();
  assert.equal(verdict.valid, true);
  assert.ok(verdict.checked > 0);
  const jsonl = await admin.audit.export("jsonl");
  const lines = jsonl.trim().split("\n").map((l) => JSON.parse(l));
  assert.ok(lines.length >= page.total);
  const csv = await admin.audit.export("csv");
  assert.equal(typeof csv, "string");
  assert.match(csv.split("\n")[0], /\bid\b.*\baction\b/);
  assert.equal((await root.audit.verify()).valid, true);
});
