// Overview: the account at a glance; for the superadmin also accounts and the server's health.
import { h, replace, table, showError, pageHeader, when } from "./ui.js";

export async function render(ctx, main) {
  const box = h("div", { class: "messages" });
  const stats = h("div", { class: "grid", id: "stats" });
  const latest = h("div");
  replace(main, pageHeader("Overview"), box, stats, latest);
  const stat = (label, value, href) => h("a", { class: "stat", href }, h("strong", { text: value }), h("span", { text: label }));
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
    h("div", { class: "stat" }, h("strong", { text: health?.status === "ok" ? "ok" : "?" }), h("span", { text: "server health" })));
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
}
