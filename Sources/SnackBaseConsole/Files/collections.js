// Collections: the list, and a schema editor (fields with type, required, unique, default, options).
// The superadmin writes; everyone signed in reads. Dropping a field or a collection asks first.
import { h, replace, field, check, table, showError, notice, confirmAction, itemsOf, pageHeader } from "./ui.js";

const TYPES = ["text", "number", "boolean", "datetime", "email", "url", "json", "reference"];

export async function render(ctx, main, args) {
  const box = h("div", { class: "messages", "aria-live": "polite" });
  const list = h("div");
  const editor = h("div");
  const newButton = ctx.isSuperadmin ? h("button", { type: "button", id: "new-collection", text: "New collection", onClick: () => edit(null) }) : null;
  replace(main, pageHeader("Collections", newButton), box, editor, list);

  async function load() {
    const collections = itemsOf(await ctx.sb.collections.list({ limit: 100 }));
    replace(list, table([
      { label: "Name", value: (c) => h("a", { href: `#/records/${encodeURIComponent(c.name)}`, text: c.name }) },
      { label: "Fields", value: (c) => (c.schema?.fields ?? c.fields ?? []).map((f) => `${f.name}: ${f.type}`).join(", ") },
      { label: "Description", value: (c) => c.description ?? "" },
      { label: "", value: (c) => ctx.isSuperadmin ? h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary small", text: "Edit", "aria-label": `Edit ${c.name}`, onClick: () => edit(c) }),
        h("button", { type: "button", class: "danger small", text: "Delete", "aria-label": `Delete ${c.name}`, onClick: () => drop(c) })) : "" },
    ], collections, { empty: "No collections yet." }));
    return collections;
  }

  async function drop(collection) {
    const ok = await confirmAction(`Delete ${collection.name}?`,
      `The collection ${collection.name} and every record in it, in every account, are deleted. This cannot be undone.`);
    if (!ok) return;
    try {
      await ctx.sb.collections.delete(collection.name);
      notice(box, `Deleted ${collection.name}.`);
      replace(editor);
      await load();
    } catch (error) { showError(box, error); }
  }

  function edit(collection) {
    const fields = (collection?.schema?.fields ?? collection?.fields ?? []).map((f) => ({ ...f }));
    const original = new Set(fields.map((f) => f.name));
    const name = h("input", { name: "name", value: collection?.name ?? "", readOnly: Boolean(collection), required: true, pattern: "[a-z][a-z0-9_]{0,62}" });
    const description = h("input", { name: "description", value: collection?.description ?? "" });
    const rows = h("div", { class: "field-rows" });
    const formBox = h("div", { "aria-live": "polite" });
    const form = h("form", { class: "card", id: "collection-form", novalidate: true },
      h("h2", { text: collection ? `Edit ${collection.name}` : "New collection" }),
      formBox,
      h("div", { class: "row" }, field("Name", name, { name: "name", hint: "a–z, 0–9 and _, starting with a letter" }), field("Description", description, { name: "description" })),
      h("h3", { text: "Fields" }),
      rows,
      h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary", id: "add-field", text: "Add field", onClick: () => { fields.push({ name: "", type: "text" }); drawRows(); rows.querySelector(".field-row:last-child input")?.focus(); } }),
        h("button", { type: "submit", id: "save-collection", text: collection ? "Save changes" : "Create collection" }),
        h("button", { type: "button", class: "secondary", text: "Cancel", onClick: () => replace(editor) })));

    function drawRows() {
      replace(rows, fields.map((f, index) => {
        const fname = h("input", { value: f.name, name: `field-name-${index}`, "aria-label": `Field ${index + 1} name`, onInput: (e) => { f.name = e.target.value; } });
        const type = h("select", { name: `field-type-${index}`, onChange: (e) => { f.type = e.target.value; drawRows(); } },
          TYPES.map((t) => h("option", { value: t, text: t, selected: f.type === t })));
        const def = h("input", { name: `field-default-${index}`, value: f.default === undefined || f.default === null ? "" : typeof f.default === "object" ? JSON.stringify(f.default) : String(f.default),
          onInput: (e) => { f.defaultText = e.target.value; } });
        const target = f.type === "reference" ? h("input", { name: `field-target-${index}`, value: f.options?.collection ?? "", onInput: (e) => { f.options = { ...(f.options ?? {}), collection: e.target.value }; } }) : null;
        return h("fieldset", { class: "field-row card" },
          h("legend", { text: `Field ${index + 1}` }),
          h("div", { class: "row" },
            field("Name", fname, { name: `schema.fields.${index}.name` }),
            field("Type", type, { name: `schema.fields.${index}.type` }),
            field("Default", def, { name: `schema.fields.${index}.default` }),
            target ? field("Target collection", target, { name: `schema.fields.${index}.options` }) : null),
          h("div", { class: "row" },
            check("Required", { checked: f.required, onChange: (e) => { f.required = e.target.checked; } }),
            check("Unique", { checked: f.unique, onChange: (e) => { f.unique = e.target.checked; } }),
            h("button", { type: "button", class: "link", text: "Remove field", "aria-label": `Remove field ${f.name || index + 1}`, onClick: () => { fields.splice(index, 1); drawRows(); } })));
      }));
    }
    drawRows();

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const schema = { fields: fields.map(toInput) };
      try {
        let answer;
        if (collection) {
          const dropped = [...original].filter((n) => !fields.some((f) => f.name === n));
          if (dropped.length) {
            const ok = await confirmAction(`Drop ${dropped.join(", ")}?`,
              `The field${dropped.length > 1 ? "s" : ""} ${dropped.join(", ")} and ${dropped.length > 1 ? "their values" : "its values"} in every record of ${collection.name} are lost.`, "Drop and save");
            if (!ok) return;
          }
          answer = await ctx.sb.collections.update(collection.name, { description: description.value, schema }, { confirm: dropped.length > 0 });
        } else {
          answer = await ctx.sb.collections.create({ name: name.value.trim(), description: description.value, schema });
        }
        replace(editor);
        notice(box, `Saved ${answer?.name ?? name.value}.`);
        if (answer?.warnings?.length) box.append(h("div", { class: "alert warn", role: "status" }, h("strong", { text: "Rules that no longer check (they deny now):" }), h("ul", {}, answer.warnings.map((w) => h("li", { text: w })))));
        await load();
      } catch (error) { showError(formBox, error, form); }
    });
    replace(editor, form);
    (collection ? description : name).focus();
  }

  try {
    const collections = await load();
    if (args[0] === "new" && ctx.isSuperadmin) edit(null);
    else if (args[0]) { const c = collections.find((x) => x.name === args[0]); if (c && ctx.isSuperadmin) edit(c); }
  } catch (error) { showError(box, error); }
}

function toInput(f) {
  const out = { name: f.name.trim(), type: f.type };
  if (f.required) out.required = true;
  if (f.unique) out.unique = true;
  if (f.options && Object.keys(f.options).length) out.options = f.options;
  const text = f.defaultText !== undefined ? f.defaultText : f.default === undefined || f.default === null ? "" : typeof f.default === "object" ? JSON.stringify(f.default) : String(f.default);
  if (text !== "") out.default = parseValue(f.type, text);
  return out;
}

export function parseValue(type, text) {
  if (type === "number") return Number(text);
  if (type === "boolean") return text === "true";
  if (type === "json") { try { return JSON.parse(text); } catch { return text; } }
  return text;
}
