// Explain: "why?" — the decision of POST /permissions/check for a user, a collection, an operation
// and optionally a record: allowed or not, the status, the role and permission that decided, the
// rule, the visible and writable fields.
import { h, replace, field, showError, itemsOf, pageHeader } from "./ui.js";

export async function render(ctx, main) {
  const box = h("div", { class: "messages", "aria-live": "polite" });
  const answerBox = h("div", { id: "explain-answer", "aria-live": "polite" });
  const [users, collections] = await Promise.all([
    ctx.sb.users.list(ctx.q({ limit: 100 })).then(itemsOf),
    ctx.sb.collections.list({ limit: 100 }).then(itemsOf),
  ]);
  const user = h("select", { id: "explain-user", name: "user_id" }, users.map((u) => h("option", { value: u.id, text: `${u.email} (${(u.roles ?? []).join(", ") || "no roles"})` })));
  const collection = h("select", { id: "explain-collection", name: "collection" }, collections.map((c) => h("option", { value: c.name, text: c.name })));
  const operation = h("select", { id: "explain-operation", name: "operation" }, ["read", "create", "update", "delete"].map((op) => h("option", { value: op, text: op })));
  const record = h("input", { id: "explain-record", name: "record_id", placeholder: "rec_… (optional)", autocomplete: "off" });
  const form = h("form", { class: "card", id: "explain-form", novalidate: true },
    h("div", { class: "row" }, field("User", user, { name: "user_id" }), field("Collection", collection, { name: "collection" }),
      field("Operation", operation, { name: "operation" }), field("Record (optional)", record, { name: "record_id" })),
    h("div", { class: "actions" }, h("button", { type: "submit", id: "explain-submit", text: "Explain" })));
  replace(main, pageHeader("Explain"), h("p", { class: "hint", text: "Why would this request be allowed or denied? Nothing is done: the policy is only asked." }), box, form, answerBox);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const question = { user_id: user.value, collection: collection.value, operation: operation.value };
    if (record.value.trim()) question.record_id = record.value.trim();
    try {
      const a = await ctx.sb.explain(ctx.body(question));
      const row = (label, value) => h("tr", {}, h("th", { scope: "row", text: label }), h("td", { text: value ?? "—" }));
      replace(answerBox, h("div", { class: "card" },
        h("h2", { class: a.allowed ? "verified" : "broken", text: a.allowed ? `Allowed (${a.status})` : `Denied (${a.status})` }),
        h("p", { class: "reason", id: "explain-reason", text: a.reason }),
        h("div", { class: "table-wrap" }, h("table", {}, h("tbody", {},
          row("Role", a.role), row("Permission", a.permission_id), row("Rule", a.rule),
          row("Visible fields", (a.visible_fields ?? []).join(", ")), row("Writable fields", (a.writable_fields ?? []).join(", ")))))));
    } catch (error) { showError(box, error, form); }
  });
}
