// Users of the account: list, create, assign roles, deactivate, reset two-factor sign-in, invite by email.
import { h, replace, field, check, table, pager, showError, notice, confirmAction, itemsOf, pageHeader, when } from "./ui.js";

export async function render(ctx, main) {
  const box = h("div", { class: "messages", "aria-live": "polite" });
  const listBox = h("div", { id: "users-table" });
  const editor = h("div");
  let roles = [];
  let skip = 0;

  const email = h("input", { id: "user-email", name: "email", type: "email", required: true, autocomplete: "off" });
  const password = h("input", { id: "user-password", name: "password", type: "password", required: true, autocomplete: "new-password" });
  const roleChecks = h("div", { class: "role-checks" });
  const form = h("form", { class: "card", id: "user-form", novalidate: true },
    h("h2", { text: "New user" }),
    h("div", { class: "row" }, field("Email", email, { name: "email" }), field("Password", password, { name: "password", hint: "12+ characters: upper, lower, digit and a special character" })),
    h("fieldset", {}, h("legend", { text: "Roles" }), roleChecks, h("p", { class: "field-error", dataset: { errorFor: "roles" } })),
    h("div", { class: "actions" }, h("button", { type: "submit", id: "create-user", text: "Create user" }),
      h("button", { type: "button", class: "secondary", id: "invite-user", text: "Invite by email instead", onClick: invite })));
  replace(main, pageHeader("Users"), box, editor, listBox, form);

  const chosen = (container) => [...container.querySelectorAll("input[type=checkbox]")].filter((c) => c.checked).map((c) => c.value);
  const roleBoxes = (container, selected = []) => replace(container,
    roles.filter((r) => r.name !== "anonymous").map((r) => check(r.name, { value: r.name, name: "role", checked: selected.includes(r.name), dataset: { role: r.name } })));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const user = await ctx.sb.users.create(ctx.body({ email: email.value.trim(), password: password.value, roles: chosen(roleChecks) }));
      notice(box, `Created ${user.email}.`);
      email.value = ""; password.value = "";
      roleBoxes(roleChecks);
      await load();
    } catch (error) { showError(box, error, form); }
  });

  async function invite() {
    try {
      await ctx.sb.invitations.create(ctx.body({ email: email.value.trim(), roles: chosen(roleChecks) }));
      notice(box, `Invited ${email.value.trim()}: they choose their password from the mail.`);
    } catch (error) { showError(box, error, form); }
  }

  async function load() {
    const page = await ctx.sb.users.list(ctx.q({ skip, limit: 20 }));
    const users = itemsOf(page);
    replace(listBox, table([
      { label: "Email", value: (u) => u.email },
      { label: "Roles", value: (u) => h("span", {}, (u.roles ?? []).map((r) => h("span", { class: "tag", text: r }))) },
      { label: "Active", value: (u) => (u.is_active === false ? "no" : "yes") },
      { label: "Two-factor", value: (u) => (u.mfa_enabled ? "on" : "off") },
      { label: "Created", value: (u) => when(u.created_at) },
      { label: "", value: (u) => h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary small", text: "Edit", "aria-label": `Edit ${u.email}`, onClick: () => edit(u) }),
        u.is_active === false ? null : h("button", { type: "button", class: "danger small", text: "Deactivate", "aria-label": `Deactivate ${u.email}`, onClick: () => deactivate(u) })) },
    ], users, { empty: "No users." }), Array.isArray(page) ? null : pager(page, (s) => { skip = s; load(); }));
  }

  async function deactivate(user) {
    if (!(await confirmAction(`Deactivate ${user.email}?`, `${user.email} can no longer sign in, and their tokens stop working at once.`, "Deactivate"))) return;
    try {
      await ctx.call("DELETE", `/users/${encodeURIComponent(user.id)}`);
      notice(box, `Deactivated ${user.email}.`);
      await load();
    } catch (error) { showError(box, error); }
  }

  function edit(user) {
    const checks = h("div");
    roleBoxes(checks, user.roles ?? []);
    const active = check("Active", { checked: user.is_active !== false, name: "is_active" });
    const newPassword = h("input", { type: "password", name: "password", autocomplete: "new-password" });
    const formBox = h("div");
    const editForm = h("form", { class: "card", id: "user-edit-form", novalidate: true },
      h("h2", { text: `Edit ${user.email}` }), formBox,
      h("fieldset", {}, h("legend", { text: "Roles" }), checks, h("p", { class: "field-error", dataset: { errorFor: "roles" } })),
      active,
      field("New password (optional)", newPassword, { name: "password" }),
      h("div", { class: "actions" },
        h("button", { type: "submit", text: "Save" }),
        user.mfa_enabled !== false ? h("button", { type: "button", class: "secondary", text: "Reset two-factor sign-in", onClick: resetMfa }) : null,
        h("button", { type: "button", class: "secondary", text: "Close", onClick: () => replace(editor) })));
    async function resetMfa() {
      if (!(await confirmAction(`Reset two-factor sign-in of ${user.email}?`, "Their authenticator and recovery codes stop working; they sign in with their password alone until they enrol again.", "Reset"))) return;
      try { await ctx.call("DELETE", `/users/${encodeURIComponent(user.id)}/mfa`); notice(formBox, "Two-factor sign-in is off for this user."); } catch (error) { showError(formBox, error); }
    }
    editForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const patch = { roles: chosen(checks), is_active: active.querySelector("input").checked };
      if (newPassword.value) patch.password = newPassword.value;
      try {
        await ctx.sb.users.update(user.id, ctx.body(patch));
        replace(editor);
        notice(box, `Saved ${user.email}.`);
        await load();
      } catch (error) { showError(formBox, error, editForm); }
    });
    replace(editor, editForm);
    editForm.querySelector("input")?.focus();
  }

  try {
    roles = itemsOf(await ctx.sb.roles.list(ctx.q({ limit: 100 })));
    roleBoxes(roleChecks);
    await load();
  } catch (error) { showError(box, error); }
}
