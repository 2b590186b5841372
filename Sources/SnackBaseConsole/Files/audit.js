// The audit log: the audit API's filters, an entry's changes old → new, the chain's verification,
// export as JSONL or CSV.
import { h, replace, field, table, pager, showError, pageHeader, when, download } from "./ui.js";

export async function render(ctx, main) {
  const box = h("div", { class: "messages", "aria-live": "polite" });
  const verifyBox = h("div", { id: "chain-status", class: "card", "aria-live": "polite", text: "Verifying the chain…" });
  const listBox = h("div", { id: "audit-table" });
  const detail = h("div", { id: "audit-entry" });
  const filters = {
    action: h("input", { name: "action", placeholder: "record.delete" }),
    collection: h("input", { name: "collection" }),
    actor_id: h("input", { name: "actor_id", placeholder: "usr_…" }),
    outcome: h("select", { name: "outcome" }, ["", "allowed", "denied", "error"].map((o) => h("option", { value: o, text: o || "any" }))),
    since: h("input", { name: "since", placeholder: "2026-01-01T00:00:00Z" }),
  };
  const form = h("form", { class: "toolbar", id: "audit-filters" },
    field("Action", filters.action), field("Collection", filters.collection), field("Actor", filters.actor_id), field("Outcome", filters.outcome), field("Since", filters.since),
    h("div", { class: "field" }, h("button", { type: "submit", text: "Filter" })));
  let skip = 0;
  replace(main,
    pageHeader("Audit log",
      h("button", { type: "button", class: "secondary", id: "verify-chain", text: "Verify again", onClick: verify }),
      h("button", { type: "button", class: "secondary", text: "Export JSONL", onClick: () => exportAs("jsonl") }),
      h("button", { type: "button", class: "secondary", text: "Export CSV", onClick: () => exportAs("csv") })),
    verifyBox, box, form, detail, listBox);

  form.addEventListener("submit", (event) => { event.preventDefault(); skip = 0; load(); });

  async function verify() {
    replace(verifyBox, "Verifying the chain…");
    try {
      const answer = await ctx.call("GET", "/audit-logs/verify");
      replace(verifyBox, answer.valid
        ? h("span", { class: "verified", text: `✓ Chain verified: ${answer.checked} entries, every hash links to the one before.` })
        : h("span", { class: "broken", text: `✗ The chain is broken at ${answer.first_broken_id ?? "an entry"} (${answer.checked} checked).` }));
    } catch (error) { showError(verifyBox, error); }
  }

  async function exportAs(format) {
    try {
      replace(box, h("div", { class: "alert ok", role: "status", text: "Exporting…" }));
      const text = await ctx.call("GET", "/audit-logs/export", { query: { format }, as: "text" });
      download(`audit.${format}`, text, format === "csv" ? "text/csv" : "application/x-ndjson");
      replace(box);
    } catch (error) { showError(box, error); }
  }

  async function load() {
    const query = { skip, limit: 25 };
    for (const [key, input] of Object.entries(filters)) if (input.value.trim()) query[key] = input.value.trim();
    try {
      const page = await ctx.sb.audit.list(ctx.q(query));
      replace(listBox, table([
        { label: "#", value: (e) => e.sequence },
        { label: "When", value: (e) => when(e.created_at) },
        { label: "Action", value: (e) => e.action },
        { label: "Outcome", value: (e) => h("span", { class: `tag ${e.outcome}`, text: `${e.outcome} ${e.status ?? ""}` }) },
        { label: "Actor", value: (e) => e.actor_email ?? e.actor_id ?? "" },
        { label: "Target", value: (e) => [e.collection, e.record_id].filter(Boolean).join(" / ") },
        { label: "Reason", value: (e) => e.reason ?? "" },
        { label: "", value: (e) => h("button", { type: "button", class: "link", text: "Changes", "aria-label": `Changes of entry ${e.sequence}`, onClick: () => show(e) }) },
      ], page.items ?? [], { empty: "No entries match." }), pager(page, (s) => { skip = s; load(); }));
    } catch (error) { showError(box, error, form); }
  }

  function show(entry) {
    const changes = Object.entries(entry.changes ?? {});
    replace(detail, h("div", { class: "card" },
      h("h2", { text: `${entry.action} · ${when(entry.created_at)}` }),
      changes.length
        ? h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, h("th", { text: "Field" }), h("th", { text: "Old" }), h("th", { text: "New" }))),
          h("tbody", {}, changes.map(([name, change]) => h("tr", {}, h("td", { text: name }), h("td", { text: JSON.stringify(change?.old ?? null) }), h("td", { text: JSON.stringify(change?.new ?? null) }))))))
        : h("p", { class: "hint", text: "No field changes in this entry." }),
      h("p", { class: "hint", text: `request ${entry.request_id ?? "—"} · hash ${entry.hash ?? ""}` }),
      h("button", { type: "button", class: "secondary small", text: "Close", onClick: () => replace(detail) })));
  }

  verify();
  await load();
}
