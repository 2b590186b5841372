// Collections: the list, and a schema editor (fields with type, required, unique, default, and the
// options of their type: max length and allowed values of text, minimum and maximum of numbers, the
// target of references). A 422's details land beside the field they name.
// The superadmin writes; everyone signed in reads. Dropping a field or a collection asks first.
import { h, replace, field, check, table, showError, notice, confirmAction, itemsOf, pageHeader } from "./ui.js";

const TYPES = ["text", "number", "boolean", "datetime", "email", "url", "json", "reference"];

/**
 * The options CollectionSchema.swift (FieldOptions) knows, by the field types they apply to; the
 * server refuses any other, and an option on a type it does not apply to.
 */
const OPTIONS = { text: ["max_length", "values"], number: ["min", "max"], reference: ["collection"] };

const DEFAULT_HINTS = {
  text: "empty: none", number: "a number", boolean: "", datetime: "e.g. 2026-01-31T12:00:00Z", email: "an address",
  url: "https://…", json: "JSON, e.g. {\"a\": 1}", reference: "a record id",
};

export async function render(ctx, main, args) {
  const box = h("div", { class: "messages", "aria-live": "polite" });
  const list = h("div");
  const editor = h("div");
  const newButton = ctx.isSuperadmin ? h("button", { type: "button", id: "new-collection", text: "New collection", onClick: () => edit(null) }) : null;
  replace(main, pageHeader("Collections", newButton), box, editor, list);

  let known = [];
  async function load() {
    const collections = itemsOf(await ctx.sb.collections.list({ limit: 100 }));
    known = collections;
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
      const targets = [...new Set([...known.map((c) => c.name), name.value.trim()].filter(Boolean))].sort();
      replace(rows, fields.map((f, index) => {
        const path = `schema.fields.${index}`;
        const label = f.name || `field ${index + 1}`;
        const fname = h("input", { value: f.name, name: `field-name-${index}`, required: true, onInput: (e) => { f.name = e.target.value; } });
        const type = h("select", { name: `field-type-${index}`, onChange: (e) => { f.type = e.target.value; keepApplicable(f); drawRows(); rows.querySelector(`[name=field-type-${index}]`)?.focus(); } },
          TYPES.map((t) => h("option", { value: t, text: t, selected: f.type === t })));
        const def = defaultControl(f, index);
        const errorSlot = (suffix) => h("p", { class: "field-error", role: "alert", dataset: { errorFor: `${path}.${suffix}` } });
        return h("fieldset", { class: "field-row card" },
          h("legend", { text: `Field ${index + 1}${f.name ? `: ${f.name}` : ""}` }),
          h("div", { class: "row" },
            field("Name", fname, { name: `${path}.name` }),
            field("Type", type, { name: `${path}.type` }),
            field("Default", def, { name: `${path}.default`, hint: DEFAULT_HINTS[f.type] })),
          optionControls(f, index, path, targets),
          h("div", { class: "row checks" },
            h("div", {}, check("Required", { name: `field-required-${index}`, checked: f.required, onChange: (e) => { f.required = e.target.checked; } }), errorSlot("required")),
            h("div", {}, check("Unique", { name: `field-unique-${index}`, checked: f.unique, onChange: (e) => { f.unique = e.target.checked; } }), errorSlot("unique")),
            h("button", { type: "button", class: "link", text: "Remove field", "aria-label": `Remove ${label}`, onClick: () => { fields.splice(index, 1); drawRows(); } })),
          errorSlot("options"));
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

/** Drops the options a new type does not take (the server would refuse them). */
function keepApplicable(f) {
  const allowed = OPTIONS[f.type] ?? [];
  const options = Object.fromEntries(Object.entries(f.options ?? {}).filter(([key]) => allowed.includes(key)));
  f.options = Object.keys(options).length ? options : undefined;
  if (f.type === "boolean" && !["true", "false", ""].includes(currentDefault(f))) f.defaultText = "";
}

function currentDefault(f) {
  if (f.defaultText !== undefined) return f.defaultText;
  if (f.default === undefined || f.default === null) return "";
  return typeof f.default === "object" ? JSON.stringify(f.default) : String(f.default);
}

/** The default's control: a choice for booleans, a text box otherwise (parsed by type on saving). */
function defaultControl(f, index) {
  const onInput = (e) => { f.defaultText = e.target.value; };
  if (f.type === "boolean") {
    return h("select", { name: `field-default-${index}`, onChange: onInput },
      ["", "true", "false"].map((v) => h("option", { value: v, text: v || "(none)", selected: currentDefault(f) === v })));
  }
  return h("input", { name: `field-default-${index}`, value: currentDefault(f), inputmode: f.type === "number" ? "decimal" : null, onInput });
}

/** The options of the field's type, each with its own error slot (`schema.fields.N.options.NAME`). */
function optionControls(f, index, path, targets) {
  const set = (key, value) => {
    const options = { ...(f.options ?? {}) };
    if (value === undefined) delete options[key]; else options[key] = value;
    f.options = Object.keys(options).length ? options : undefined;
  };
  const number = (key, label, hint, integer) => {
    const input = h("input", { type: "number", name: `field-${key}-${index}`, step: integer ? "1" : "any", value: f.options?.[key] ?? "",
      onInput: (e) => { set(key, e.target.value === "" ? undefined : Number(e.target.value)); } });
    return field(label, input, { name: `${path}.options.${key}`, hint });
  };
  switch (f.type) {
    case "text": {
      const values = h("input", { name: `field-values-${index}`, value: (f.options?.values ?? []).join(", "), placeholder: "any text",
        onInput: (e) => { const list = e.target.value.split(",").map((v) => v.trim()).filter(Boolean); set("values", e.target.value.trim() ? list : undefined); } });
      return h("div", { class: "row options" },
        number("max_length", "Max length", "characters; empty: no limit", true),
        field("Allowed values", values, { name: `${path}.options.values`, hint: "comma separated; empty: any" }));
    }
    case "number":
      return h("div", { class: "row options" }, number("min", "Minimum", "empty: no minimum"), number("max", "Maximum", "empty: no maximum"));
    case "reference": {
      const target = h("select", { name: `field-target-${index}`, required: true, onChange: (e) => { set("collection", e.target.value || undefined); } },
        h("option", { value: "", text: "Choose a collection" }),
        targets.map((t) => h("option", { value: t, text: t, selected: f.options?.collection === t })));
      return h("div", { class: "row options" }, field("Target collection", target, { name: `${path}.options.collection`, hint: "records of this collection, in the same account" }));
    }
    default:
      return null;
  }
}

function toInput(f) {
  const out = { name: f.name.trim(), type: f.type };
  if (f.required) out.required = true;
  if (f.unique) out.unique = true;
  const allowed = OPTIONS[f.type] ?? [];
  const options = Object.fromEntries(Object.entries(f.options ?? {}).filter(([key, value]) => allowed.includes(key) && value !== undefined && value !== null));
  if (Object.keys(options).length) out.options = options;
  const text = currentDefault(f);
  if (text !== "") out.default = parseValue(f.type, text);
  return out;
}

export function parseValue(type, text) {
  if (type === "number") return Number(text);
  if (type === "boolean") return text === "true";
  if (type === "json") { try { return JSON.parse(text); } catch { return text; } }
  return text;
}
