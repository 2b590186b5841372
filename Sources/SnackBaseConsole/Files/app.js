// The console's shell: the client, the session, the layout and the router (`#/page/argument`).
// Every API call goes through the JavaScript client (./sdk/snackbase.js) with the signed-in
// person's own token, so the console can never do more than they may.
import { SnackBase } from "./sdk/snackbase.js";
import { h, replace, showError } from "./ui.js";

// The access token lives in sessionStorage (a reload keeps the tab signed in for its few minutes);
// the refresh token only in this page's memory, never in any storage a script could read later.
const ACCESS = "snackbase.token";
const memory = new Map();
const storage = {
  get: (key) => (key === ACCESS ? sessionStorage.getItem(key) : memory.get(key) ?? null),
  set: (key, value) => (key === ACCESS ? sessionStorage.setItem(key, value) : memory.set(key, value)),
  remove: (key) => { sessionStorage.removeItem(key); memory.delete(key); },
};

const sb = new SnackBase(location.origin, { storage });

/** The pages: hash name → label, module, who sees it. */
const PAGES = [
  { name: "overview", label: "Overview", module: "./overview.js", admin: false },
  { name: "accounts", label: "Accounts", module: "./accounts.js", superadmin: true },
  { name: "collections", label: "Collections", module: "./collections.js", admin: false },
  { name: "records", label: "Records", module: "./records.js", admin: false },
  { name: "users", label: "Users", module: "./users.js", admin: true },
  { name: "roles", label: "Roles & permissions", module: "./roles.js", admin: true },
  { name: "explain", label: "Explain", module: "./explain.js", admin: true },
  { name: "audit", label: "Audit log", module: "./audit.js", admin: true },
  { name: "apikeys", label: "API keys", module: "./apikeys.js", admin: true },
  { name: "me", label: "My account", module: "./me.js", admin: false },
];

const root = document.getElementById("app");
let cleanup = null;

/** What every page gets. */
const ctx = {
  sb,
  me: null,
  /** The account the superadmin works on (`undefined`: their own, the system account). */
  accountId: undefined,
  get isAdmin() { return Boolean(this.me && (this.me.is_superadmin || this.me.roles?.includes("admin"))); },
  get isSuperadmin() { return Boolean(this.me?.is_superadmin); },
  /** A query with the superadmin's chosen account. */
  q(query = {}) { return this.accountId ? { ...query, account_id: this.accountId } : query; },
  /** A body with the superadmin's chosen account. */
  body(doc = {}) { return this.accountId ? { ...doc, account_id: this.accountId } : doc; },
  /**
   * For the few calls whose client function takes no query (get and delete by id): the client's own
   * transport with `account_id` added. Everything else uses the client's functions.
   */
  call(method, path, opts = {}) { return sb._http.call(method, path, { ...opts, query: this.q(opts.query ?? {}) }); },
  go(hash) { location.hash = hash; },
  signedOut,
};

function parseHash() {
  const [name, ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  return { name: name || "overview", args: rest.map(decodeURIComponent) };
}

async function route() {
  if (typeof cleanup === "function") { try { cleanup(); } catch { /* a page's own teardown */ } }
  cleanup = null;
  if (!ctx.me) {
    const { render } = await import("./signin.js");
    cleanup = await render(ctx, root, { signedIn });
    return;
  }
  const { name, args } = parseHash();
  const page = visiblePages().find((p) => p.name === name) ?? visiblePages()[0];
  const main = layout(page);
  try {
    const module = await import(page.module);
    cleanup = await module.render(ctx, main, args);
  } catch (error) {
    if (error?.status === 401) return signedOut();
    showError(main.appendChild(h("div")), error);
  }
}

function visiblePages() {
  return PAGES.filter((page) => (page.superadmin ? ctx.isSuperadmin : page.admin ? ctx.isAdmin : true));
}

/** The shared layout: a header, the navigation, the page's main area (returned). */
function layout(current) {
  const nav = h("nav", { class: "sidebar", "aria-label": "Console" },
    h("ul", {}, visiblePages().map((page) => h("li", {},
      h("a", { href: `#/${page.name}`, "aria-current": page === current ? "page" : null, text: page.label })))));
  const who = h("div", { class: "who" },
    ctx.isSuperadmin ? accountPicker() : null,
    h("span", { class: "me", text: `${ctx.me.email ?? ctx.me.user_id} · ${ctx.me.account_id}` }),
    h("button", { type: "button", class: "secondary small", text: "Sign out", onClick: signOut }));
  const main = h("main", { id: "main", tabindex: "-1" });
  replace(root,
    h("a", { class: "skip", href: "#main", text: "Skip to content", onClick: (e) => { e.preventDefault(); main.focus(); } }),
    h("header", { class: "topbar" }, h("a", { class: "brand", href: "#/overview" }, h("img", { src: "/_/icon.svg", alt: "", width: 24, height: 24 }), "SnackBase"), who),
    h("div", { class: "shell" }, nav, main));
  document.title = `${current.label} · SnackBase`;
  return main;
}

/** The superadmin's "working on account" picker (pages pass `account_id` for it). */
function accountPicker() {
  const select = h("select", { id: "account-picker", "aria-label": "Account to work on" },
    h("option", { value: "", text: "System (SY0000)" }));
  sb.accounts.list({ limit: 100 }).then((answer) => {
    const items = Array.isArray(answer) ? answer : answer.items ?? [];
    for (const account of items) {
      if (account.id === "SY0000") continue;
      select.append(h("option", { value: account.id, text: `${account.name} (${account.slug ?? account.id})`, selected: account.id === ctx.accountId }));
    }
  }).catch(() => {});
  select.addEventListener("change", () => {
    ctx.accountId = select.value || undefined;
    if (ctx.accountId) sessionStorage.setItem("console.account", ctx.accountId); else sessionStorage.removeItem("console.account");
    route();
  });
  return h("label", { class: "picker", for: "account-picker" }, "Account ", select);
}

async function signedIn() {
  ctx.me = await sb.auth.me();
  ctx.accountId = ctx.me.is_superadmin ? sessionStorage.getItem("console.account") || undefined : undefined;
  if (!location.hash || location.hash === "#/signin") location.hash = "#/overview";
  route();
}

async function signOut() {
  try { await sb.auth.logout(); } finally { signedOut(); }
}

function signedOut() {
  ctx.me = null;
  ctx.accountId = undefined;
  sessionStorage.removeItem("console.account");
  route();
}

sb.auth.onChange((session) => { if (session === null && ctx.me) signedOut(); });
window.addEventListener("hashchange", route);

// A reload keeps the access token of this tab: use it while it works.
(async () => {
  if (await sb.auth.isSignedIn()) {
    try { await signedIn(); return; } catch { await storage.remove("snackbase.token"); }
  }
  route();
})();
