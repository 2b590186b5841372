// Roles and permissions: the seed's matrix (roles down, collections and `*` across, C R U D in each
// cell). A cell opens its permission: the four flags, a rule per operation, `fields`,
// `excluded_fields` and `field_rules`; every rule is checked as one types (POST /rules/check) and
// its error shown at its position. Saving shows the `warnings` the API returns.
import { h, replace, field, check, showError, notice, confirmAction, itemsOf, pageHeader, debounce, ruleStatus, nextId, detailsOf } from "./ui.js";

const OPS = ["create", "read", "update", "delete"];

export async function render(ctx, main) {
  const box = h("div", { class: "messages", "aria-live": "polite" });
  const matrixBox = h("div", { id: "matrix" });
  const editor = h("div", { id: "permission-editor" });
  const roleName = h("input", { id: "role-name", name: "name", required: true });
  const roleDescription = h("input", { id: "role-description", name: "description" });
  const roleForm = h("form", { class: "card", id: "role-form", novalidate: true },
    h("h2", { text: "New role" }),
    h("div", { class: "row" }, field("Name", roleName, { name: "name" }), field("Description", roleDescription, { name: "description" }),
      h("div", { class: "field" }, h("button", { type: "submit", id: "create-role", text: "Create role" }))));
  replace(main, pageHeader("Roles & permissions"), box, h("p", { class: "hint", text: "Click a cell to edit what a role may do in a collection. Bold letters are granted; ƒ marks rules." }), matrixBox, editor, roleForm);

  roleForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const role = await ctx.sb.roles.create(ctx.body({ name: roleName.value.trim(), description: roleDescription.value }));
      notice(box, `Created the role ${role.name}.`);
      roleName.value = ""; roleDescription.value = "";
      await load();
    } catch (error) { showError(box, error, roleForm); }
  });

  let roles = [], collections = [], permissions = [];
  async function load() {
    [roles, collections, permissions] = await Promise.all([
      ctx.sb.roles.list(ctx.q({ limit: 100 })).then(itemsOf),
      ctx.sb.collections.list({ limit: 100 }).then(itemsOf),
      ctx.sb.permissions.list(ctx.q({ limit: 100 })).then(itemsOf),
    ]);
    const names = ["*", ...collections.map((c) => c.name)];
    const head = h("tr", {}, h("th", { scope: "col", text: "Role" }), names.map((n) => h("th", { scope: "col", text: n })), h("th", { scope: "col", text: "" }));
    const rows = roles.map((role) => h("tr", {},
      h("th", { scope: "row" }, h("strong", { text: role.name }), role.description ? h("div", { class: "hint", text: role.description }) : null),
      names.map((collection) => h("td", {}, cellButton(role, collection))),
      h("td", {}, ["admin", "anonymous"].includes(role.name) ? "" :
        h("button", { type: "button", class: "link", text: "Delete", "aria-label": `Delete role ${role.name}`, onClick: () => dropRole(role) }))));
    replace(matrixBox, h("div", { class: "table-wrap" }, h("table", { class: "matrix" }, h("caption", { text: "Permission matrix" }), h("thead", {}, head), h("tbody", {}, rows))));
  }

  function find(role, collection) {
    return permissions.find((p) => p.role_id === role.id && p.collection === collection);
  }

  function cellButton(role, collection) {
    const permission = find(role, collection);
    const letters = OPS.map((op) => h("span", { class: permission?.[op] ? "on" : "off", text: op[0].toUpperCase() }));
    const ruled = permission && (Object.keys(permission.rules ?? {}).length || Object.keys(permission.field_rules ?? {}).length);
    const label = permission ? `${role.name} on ${collection}: ${OPS.filter((op) => permission[op]).join(", ") || "nothing"}` : `${role.name} on ${collection}: no permission`;
    return h("button", { type: "button", class: `cell${permission ? "" : " none"}${ruled ? " ruled" : ""}`, "aria-label": label, title: label,
      dataset: { role: role.name, collection }, onClick: () => openCell(role, collection) }, letters);
  }

  async function dropRole(role) {
    if (!(await confirmAction(`Delete the role ${role.name}?`, `The role ${role.name}, its permissions, and every user's hold of it are removed.`))) return;
    try {
      await ctx.call("DELETE", `/roles/${encodeURIComponent(role.id)}`, { query: { force: true } });
      notice(box, `Deleted the role ${role.name}.`);
      replace(editor);
      await load();
    } catch (error) { showError(box, error); }
  }

  function openCell(role, collection) {
    const permission = find(role, collection);
    const schema = collections.find((c) => c.name === collection);
    const known = (schema?.schema?.fields ?? schema?.fields ?? []).map((f) => f.name);
    const flags = Object.fromEntries(OPS.map((op) => [op, h("input", { type: "checkbox", id: nextId("op"), name: op, checked: permission?.[op] })]));
    const ruleInputs = {};
    const checkers = [];
    const ruleRow = (label, name, value, operation) => {
      const input = h("input", { class: "rule-input", name, value: value ?? "", autocomplete: "off", spellcheck: "false", dataset: { rule: name } });
      const status = h("div", { class: "rule-box", "aria-live": "polite", dataset: { ruleStatus: name } });
      const run = async () => {
        const source = input.value;
        if (!source.trim()) return ruleStatus(status, source, null);
        try {
          const answer = await ctx.sb.rules.check(ctx.body({ collection, rule: source, operation }));
          if (input.value === source) ruleStatus(status, source, answer);
        } catch (error) { showError(status, error); }
      };
      input.addEventListener("input", debounce(run, 250));
      checkers.push(run);
      return h("div", { class: "rule-field" }, field(label, input, { name }), status);
    };
    for (const op of OPS) ruleInputs[op] = null;
    const rulesBlock = OPS.map((op) => {
      const row = ruleRow(`${op} rule`, `rules.${op}`, permission?.rules?.[op], op);
      ruleInputs[op] = row.querySelector("input");
      return row;
    });
    const fieldsInput = h("input", { name: "fields", value: permission?.fields ? permission.fields.join(", ") : "", placeholder: "every field" });
    const excludedInput = h("input", { name: "excluded_fields", value: (permission?.excluded_fields ?? []).join(", ") });
    const fieldRules = Object.entries(permission?.field_rules ?? {}).map(([name, rule]) => ({ name, read: rule.read ?? "", write: rule.write ?? "" }));
    const fieldRuleRows = h("div");
    function drawFieldRules() {
      replace(fieldRuleRows, fieldRules.map((rule, index) => {
        const name = h("input", { name: `field_rules.${index}.name`, value: rule.name, onInput: (e) => { rule.name = e.target.value.trim(); } });
        const read = ruleRow("read rule", `field_rules.${rule.name || index}.read`, rule.read, "read");
        const write = ruleRow("write rule", `field_rules.${rule.name || index}.write`, rule.write, "update");
        read.querySelector("input").addEventListener("input", (e) => { rule.read = e.target.value; });
        write.querySelector("input").addEventListener("input", (e) => { rule.write = e.target.value; });
        return h("fieldset", { class: "card" }, h("legend", { text: `Field rule ${index + 1}` }),
          h("div", { class: "row" }, field("Field", name, { name: `field_rules.${index}` }), read, write),
          h("button", { type: "button", class: "link", text: "Remove field rule", onClick: () => { fieldRules.splice(index, 1); drawFieldRules(); } }));
      }));
    }
    drawFieldRules();
    const formBox = h("div", { "aria-live": "polite" });
    const form = h("form", { class: "card", id: "permission-form", novalidate: true },
      h("h2", { text: `${role.name} on ${collection}` }),
      formBox,
      h("fieldset", {}, h("legend", { text: "Operations" }), OPS.map((op) => h("label", { class: "check", for: flags[op].id }, flags[op], " ", op))),
      h("h3", { text: "Rules" }),
      h("p", { class: "hint", text: "Empty: no rule (the flag alone decides). Examples: @owns_record(), status == 'published', @has_role('admin')" }),
      rulesBlock,
      h("div", { class: "row" },
        field("Fields (comma separated)", fieldsInput, { name: "fields", hint: known.length ? `of: ${known.join(", ")}` : "empty means every field" }),
        field("Excluded fields", excludedInput, { name: "excluded_fields" })),
      h("h3", { text: "Field rules" }),
      fieldRuleRows,
      h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary", text: "Add field rule", onClick: () => { fieldRules.push({ name: "", read: "", write: "" }); drawFieldRules(); } }),
        h("button", { type: "submit", id: "save-permission", text: "Save permission" }),
        permission ? h("button", { type: "button", class: "danger", text: "Remove permission", onClick: () => removePermission(permission) }) : null,
        h("button", { type: "button", class: "secondary", text: "Close", onClick: () => replace(editor) })));

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const doc = { role_id: role.id, collection };
      for (const op of OPS) doc[op] = flags[op].checked;
      const rules = {};
      for (const op of OPS) if (ruleInputs[op].value.trim()) rules[op] = ruleInputs[op].value.trim();
      doc.rules = rules;
      const list = (text) => text.split(",").map((s) => s.trim()).filter(Boolean);
      if (fieldsInput.value.trim()) doc.fields = list(fieldsInput.value);
      doc.excluded_fields = list(excludedInput.value);
      const fr = {};
      for (const rule of fieldRules) if (rule.name) {
        fr[rule.name] = {};
        if (rule.read.trim()) fr[rule.name].read = rule.read.trim();
        if (rule.write.trim()) fr[rule.name].write = rule.write.trim();
      }
      doc.field_rules = fr;
      try {
        const saved = permission ? await ctx.sb.permissions.replace(permission.id, ctx.body(doc)) : await ctx.sb.permissions.create(ctx.body(doc));
        await load();
        replace(editor);
        notice(box, `Saved: ${role.name} on ${collection}.`);
        if (saved?.warnings?.length) box.append(h("div", { class: "alert warn", role: "status" }, h("strong", { text: "Warnings:" }), h("ul", {}, saved.warnings.map((w) => h("li", { text: w })))));
      } catch (error) {
        showError(formBox, error, form);
        for (const detail of detailsOf(error)) {
          const status = [...form.querySelectorAll(".rule-box")].find((b) => b.dataset.ruleStatus === detail.field);
          const input = [...form.querySelectorAll("input")].find((i) => i.dataset.rule === detail.field);
          if (status && input && detail.position !== undefined) ruleStatus(status, input.value, { valid: false, error: detail });
        }
      }
    });

    async function removePermission(p) {
      if (!(await confirmAction(`Remove ${role.name} on ${collection}?`, `Users holding ${role.name} lose what this permission grants them in ${collection}.`, "Remove"))) return;
      try {
        await ctx.call("DELETE", `/permissions/${encodeURIComponent(p.id)}`);
        await load();
        replace(editor);
        notice(box, `Removed: ${role.name} on ${collection}.`);
      } catch (error) { showError(formBox, error, form); }
    }

    replace(editor, form);
    for (const run of checkers) run();
    form.scrollIntoView({ block: "start" });
    flags.create.focus();
  }

  try { await load(); } catch (error) { showError(box, error); }
}
