// Overview: the account at a glance; for the superadmin also accounts, the server's health and its
// request rates from /metrics (sampled while the page is open: the rate is the change between samples).
import { h, replace, table, showError, pageHeader, when } from "./ui.js";

const SAMPLE_MS = 5000;

export async function render(ctx, main) {
  const box = h("div", { class: "messages" });
  const stats = h("div", { class: "grid", id: "stats" });
  const traffic = h("section", { id: "traffic", "aria-labelledby": "traffic-title" });
  const latest = h("div");
  replace(main, pageHeader("Overview"), box, stats, ctx.isSuperadmin ? traffic : null, latest);
  const stat = (label, value, href) => h(href ? "a" : "div", { class: "stat", href }, h("strong", { text: value }), h("span", { text: label }));
  const count = (answer) => (Array.isArray(answer) ? answer.length : answer?.total ?? 0);
  const safe = (promise) => promise.catch(() => null);
  const [collections, users, roles, accounts, health, audit, denials] = await Promise.all([
    safe(ctx.sb.collections.list({ limit: 1 })),
    ctx.isAdmin ? safe(ctx.sb.users.list(ctx.q({ limit: 1 }))) : null,
    ctx.isAdmin ? safe(ctx.sb.roles.list(ctx.q({ limit: 1 }))) : null,
    ctx.isSuperadmin ? safe(ctx.sb.accounts.list({ limit: 1 })) : null,
    safe(ctx.sb.health()),
    ctx.isAdmin ? safe(ctx.sb.audit.list(ctx.q({ limit: 5 }))) : null,
    ctx.isAdmin ? safe(ctx.sb.audit.list(ctx.q({ limit: 1, outcome: "denied", since: new Date(Date.now() - 3600_000).toISOString() }))) : null,
  ]);
  replace(stats,
    stat("collections", count(collections), "#/collections"),
    users ? stat("users", count(users), "#/users") : null,
    roles ? stat("roles", count(roles), "#/roles") : null,
    accounts ? stat("accounts", count(accounts), "#/accounts") : null,
    denials ? stat("denials in the last hour", count(denials), "#/audit") : null,
    stat("server health", health?.status === "ok" ? "ok" : "?"));
  if (audit) {
    replace(latest, h("h2", { text: "Latest audit entries" }), table([
      { label: "When", value: (e) => when(e.created_at) },
      { label: "Action", value: (e) => e.action },
      { label: "Outcome", value: (e) => e.outcome },
      { label: "Actor", value: (e) => e.actor_email ?? e.actor_id ?? "" },
    ], audit.items ?? [], { empty: "No entries yet." }));
  } else if (!ctx.isAdmin) {
    replace(latest, h("p", { text: "You can read the records your roles allow: open " }, h("a", { href: "#/records", text: "Records" }), "."));
  }
  if (!collections) showError(box, { message: "Could not read the collections." });
  if (!ctx.isSuperadmin) return undefined;

  // Request rates: a first sample now, then one every few seconds; each shows the change since the last.
  let previous = null;
  let timer = null;
  let stopped = false;
  async function sample() {
    let current;
    try {
      current = { at: Date.now(), requests: parseRequests(await ctx.sb.metrics()) };
    } catch (error) {
      replace(traffic, h("h2", { id: "traffic-title", text: "Requests" }), h("div"));
      showError(traffic.lastChild, error);
      return;
    }
    if (stopped || !traffic.isConnected) return;
    drawTraffic(traffic, current, previous);
    previous = current;
    timer = setTimeout(sample, SAMPLE_MS);
  }
  replace(traffic, h("h2", { id: "traffic-title", text: "Requests" }), h("p", { class: "hint", text: "Reading /metrics…" }));
  await sample();
  return () => { stopped = true; clearTimeout(timer); };
}

/**
 * The request counters of a Prometheus text (`snackbase_http_requests_total{method,route,status} n`),
 * as [{method, route, status, count}]. Other lines are skipped.
 */
export function parseRequests(text) {
  const out = [];
  for (const line of String(text).split("\n")) {
    if (!line.startsWith("snackbase_http_requests_total{")) continue;
    const close = line.lastIndexOf("}");
    const labels = {};
    for (const match of line.slice(line.indexOf("{") + 1, close).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[match[1]] = match[2];
    const count = Number(line.slice(close + 1).trim());
    if (Number.isFinite(count)) out.push({ method: labels.method ?? "", route: labels.route ?? "", status: Number(labels.status), count });
  }
  return out;
}

function drawTraffic(section, current, previous) {
  const seconds = previous ? (current.at - previous.at) / 1000 : 0;
  const before = new Map((previous?.requests ?? []).map((r) => [`${r.method} ${r.route} ${r.status}`, r.count]));
  // Per route (method and pattern): the total since the server started, and the change since the last sample.
  const routes = new Map();
  let total = 0, recent = 0, errors = 0, recentErrors = 0;
  for (const r of current.requests) {
    const delta = previous ? Math.max(0, r.count - (before.get(`${r.method} ${r.route} ${r.status}`) ?? 0)) : 0;
    const key = `${r.method} ${r.route}`;
    const row = routes.get(key) ?? { route: key, total: 0, recent: 0, errors: 0 };
    row.total += r.count; row.recent += delta;
    if (r.status >= 500) row.errors += r.count;
    routes.set(key, row);
    total += r.count; recent += delta;
    if (r.status >= 500) { errors += r.count; recentErrors += delta; }
  }
  const perMinute = (n) => {
    if (!(seconds > 0)) return "…";
    const rate = (n * 60) / seconds;
    return rate === 0 ? "0" : rate.toFixed(rate < 10 ? 1 : 0);
  };
  const busiest = [...routes.values()].sort((a, b) => b.recent - a.recent || b.total - a.total).slice(0, 8);
  replace(section,
    h("h2", { id: "traffic-title", text: "Requests" }),
    h("div", { class: "grid" },
      h("div", { class: "stat", id: "rate-now" }, h("strong", { text: perMinute(recent) }), h("span", { text: "requests a minute, now" })),
      h("div", { class: "stat" }, h("strong", { text: total }), h("span", { text: "requests since the server started" })),
      h("div", { class: "stat" }, h("strong", { text: errors }), h("span", { text: `server errors (5xx)${seconds > 0 ? `, ${perMinute(recentErrors)} a minute now` : ""}` }))),
    h("p", { class: "hint", text: previous ? `Rates over the last ${Math.round(seconds)} s, from /metrics; they update while this page is open.` : "From /metrics; the rates appear with the next sample, in a few seconds." }),
    table([
      { label: "Route", value: (r) => h("code", { text: r.route }) },
      { label: "A minute, now", value: (r) => perMinute(r.recent) },
      { label: "Since start", value: (r) => r.total },
      { label: "5xx", value: (r) => r.errors },
    ], busiest, { empty: "No requests counted yet.", caption: "Busiest routes" }));
}
