// API keys: create (the key is shown once, with a copy button), list with prefix and last use, revoke.
import { h, replace, field, check, table, showError, notice, confirmAction, itemsOf, pageHeader, when } from "./ui.js";

export async function render(ctx, main) {
  const box = h("div", { class: "messages", "aria-live": "polite" });
  const once = h("div", { id: "key-once", "aria-live": "polite" });
  const listBox = h("div", { id: "keys-table" });
  const roles = itemsOf(await ctx.sb.roles.list(ctx.q({ limit: 100 })));
  const name = h("input", { id: "key-name", name: "name", required: true });
  const expires = h("input", { id: "key-expires", name: "expires_at", placeholder: "2027-01-01T00:00:00Z (optional)" });
  const roleChecks = h("div", {}, roles.filter((r) => r.name !== "anonymous").map((r) => check(r.name, { value: r.name, dataset: { role: r.name } })));
  const form = h("form", { class: "card", id: "key-form", novalidate: true },
    h("h2", { text: "New API key" }),
    h("div", { class: "row" }, field("Name", name, { name: "name" }), field("Expires at", expires, { name: "expires_at" })),
    h("fieldset", {}, h("legend", { text: "Roles of the key" }), roleChecks, h("p", { class: "field-error", dataset: { errorFor: "roles" } })),
    h("div", { class: "actions" }, h("button", { type: "submit", id: "create-key", text: "Create key" })));
  replace(main, pageHeader("API keys"), box, once, form, listBox);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const doc = { name: name.value.trim(), roles: [...roleChecks.querySelectorAll("input")].filter((c) => c.checked).map((c) => c.value) };
    if (expires.value.trim()) doc.expires_at = expires.value.trim();
    try {
      const key = await ctx.sb.apiKeys.create(ctx.body(doc));
      const text = h("code", { class: "key-once", id: "new-key", text: key.key });
      const copied = h("span", { class: "hint", "aria-live": "polite" });
      replace(once, h("div", { class: "alert warn", role: "status" },
        h("p", {}, h("strong", { text: `The key ${key.name}: copy it now, it is not shown again.` })),
        text, " ",
        h("button", { type: "button", class: "secondary small", id: "copy-key", text: "Copy", onClick: async () => {
          try { await navigator.clipboard.writeText(key.key); copied.textContent = "Copied."; } catch { copied.textContent = "Select the key and copy it by hand."; }
        } }), " ", copied,
        h("p", {}, h("button", { type: "button", class: "link", text: "I have stored it — hide the key", onClick: () => replace(once) }))));
      name.value = "";
      await load();
    } catch (error) { showError(box, error, form); }
  });

  async function load() {
    const keys = itemsOf(await ctx.sb.apiKeys.list(ctx.q({ limit: 100 })));
    replace(listBox, table([
      { label: "Name", value: (k) => k.name },
      { label: "Prefix", value: (k) => k.prefix ?? "" },
      { label: "Roles", value: (k) => (k.roles ?? []).join(", ") },
      { label: "Last used", value: (k) => when(k.last_used_at) || "never" },
      { label: "Expires", value: (k) => when(k.expires_at) || "never" },
      { label: "", value: (k) => k.revoked_at ? "revoked" : h("button", { type: "button", class: "danger small", text: "Revoke", "aria-label": `Revoke ${k.name}`, onClick: () => revoke(k) }) },
    ], keys, { empty: "No API keys." }));
  }

  async function revoke(key) {
    if (!(await confirmAction(`Revoke ${key.name}?`, `Programs using ${key.name} are refused from their next request.`, "Revoke"))) return;
    try { await ctx.call("DELETE", `/api-keys/${encodeURIComponent(key.id)}`); notice(box, `Revoked ${key.name}.`); await load(); } catch (error) { showError(box, error); }
  }

  try { await load(); } catch (error) { showError(box, error); }
}
