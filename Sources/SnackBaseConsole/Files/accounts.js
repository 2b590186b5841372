// Accounts (superadmin): list, create, rename, delete with confirmation.
import { h, replace, field, table, pager, showError, notice, confirmAction, pageHeader, when } from "./ui.js";

export async function render(ctx, main) {
  const box = h("div", { class: "messages", "aria-live": "polite" });
  const listBox = h("div", { id: "accounts-table" });
  const name = h("input", { id: "account-name", name: "name", required: true });
  const slug = h("input", { id: "account-slug", name: "slug", placeholder: "derived from the name" });
  const form = h("form", { class: "card", id: "account-form", novalidate: true },
    h("h2", { text: "New account" }),
    h("div", { class: "row" }, field("Name", name, { name: "name" }), field("Slug", slug, { name: "slug", hint: "3–32 of a–z, 0–9 and -" }),
      h("div", { class: "field" }, h("button", { type: "submit", id: "create-account", text: "Create account" }))));
  let skip = 0;
  replace(main, pageHeader("Accounts"), box, form, listBox);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const doc = { name: name.value.trim() };
    if (slug.value.trim()) doc.slug = slug.value.trim();
    try {
      const account = await ctx.sb.accounts.create(doc);
      notice(box, `Created ${account.name} (${account.id}). Choose it in the account picker to add its users and roles.`);
      name.value = ""; slug.value = "";
      await load();
    } catch (error) { showError(box, error, form); }
  });

  async function load() {
    const page = await ctx.sb.accounts.list({ skip, limit: 20 });
    replace(listBox, table([
      { label: "Id", value: (a) => a.id },
      { label: "Slug", value: (a) => a.slug },
      { label: "Name", value: (a) => a.name },
      { label: "Created", value: (a) => when(a.created_at) },
      { label: "", value: (a) => a.id === "SY0000" ? "system" : h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary small", text: "Rename", "aria-label": `Rename ${a.name}`, onClick: () => rename(a) }),
        h("button", { type: "button", class: "danger small", text: "Delete", "aria-label": `Delete ${a.name}`, onClick: () => drop(a) })) },
    ], page.items ?? [], { empty: "No accounts." }), pager(page, (s) => { skip = s; load(); }));
  }

  function rename(account) {
    const input = h("input", { name: "name", value: account.name });
    const formBox = h("div");
    const renameForm = h("form", { class: "card", novalidate: true }, h("h2", { text: `Rename ${account.name}` }), formBox, field("Name", input, { name: "name" }),
      h("div", { class: "actions" }, h("button", { type: "submit", text: "Save" }), h("button", { type: "button", class: "secondary", text: "Cancel", onClick: () => renameForm.remove() })));
    renameForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      try { await ctx.sb.accounts.update(account.id, { name: input.value.trim() }); renameForm.remove(); notice(box, "Renamed."); await load(); } catch (error) { showError(formBox, error, renameForm); }
    });
    box.after(renameForm);
    input.focus();
  }

  async function drop(account) {
    if (!(await confirmAction(`Delete ${account.name}?`, `The account ${account.name} (${account.id}) and all its users, roles, permissions, records and keys are deleted. This cannot be undone.`))) return;
    try { await ctx.sb.accounts.delete(account.id); notice(box, `Deleted ${account.name}.`); await load(); } catch (error) { showError(box, error); }
  }

  try { await load(); } catch (error) { showError(box, error); }
}
