// Records of one collection: a table with paging and sortable columns, a filter box checked as one
// types (the API's 400 points at the error's position), a form per field type, delete with
// confirmation, and live updates through the client's `subscribe`.
import { h, replace, field, check, table, pager, showError, notice, confirmAction, itemsOf, pageHeader, debounce, ruleStatus, cellText, when, detailsOf } from "./ui.js";

const LIMIT = 20;

export async function render(ctx, main, args) {
  const box = h("div", { class: "messages", "aria-live": "polite" });
  const collections = itemsOf(await ctx.sb.collections.list({ limit: 100 }));
  if (!collections.length) {
    replace(main, pageHeader("Records"), h("p", { text: "There are no collections yet. " }, ctx.isSuperadmin ? h("a", { href: "#/collections/new", text: "Create one." }) : null));
    return;
  }
  const current = collections.find((c) => c.name === args[0]) ?? collections[0];
  const fields = current.schema?.fields ?? current.fields ?? [];
  const state = { skip: 0, sort: "-created_at", filter: "" };

  const picker = h("select", { id: "collection-picker", onChange: (e) => ctx.go(`#/records/${encodeURIComponent(e.target.value)}`) },
    collections.map((c) => h("option", { value: c.name, text: c.name, selected: c === current })));
  const filter = h("input", { id: "filter", name: "filter", class: "rule-input", placeholder: `e.g. ${fields[0] ? `${fields[0].name} == "x"` : 'id == "rec_…"'}`, autocomplete: "off" });
  const filterBox = h("div", { class: "rule-box", "aria-live": "polite" });
  const live = h("span", { class: "live off", id: "live-status", text: "○ connecting" });
  const tableBox = h("div", { id: "records-table" });
  const formBox = h("div");
  const newButton = h("button", { type: "button", id: "new-record", text: "New record", onClick: () => edit(null) });

  replace(main,
    pageHeader(`Records`, live, newButton),
    h("div", { class: "toolbar" }, field("Collection", picker), field("Filter", filter, { hint: "A rule expression over the record's fields." })),
    filterBox, box, formBox, tableBox);

  const columns = [
    { label: "id", value: (r) => r.id, sort: "id" },
    ...fields.map((f) => ({ label: f.name, value: (r) => cellText(r[f.name]), sort: f.name })),
    { label: "created", value: (r) => when(r.created_at), sort: "created_at" },
    { label: "", value: (r) => h("div", { class: "actions" },
      h("button", { type: "button", class: "secondary small", text: "Edit", "aria-label": `Edit ${r.id}`, onClick: () => edit(r) }),
      h("button", { type: "button", class: "danger small", text: "Delete", "aria-label": `Delete ${r.id}`, onClick: () => remove(r) })) },
  ];

  const records = ctx.sb.collection(current.name);
  let loading = 0;
  async function load() {
    const mine = ++loading;
    const query = ctx.q({ skip: state.skip, limit: LIMIT, sort: state.sort });
    if (state.filter) query.filter = state.filter;
    try {
      const page = await records.list(query);
      if (mine !== loading) return;
      ruleStatus(filterBox, state.filter, state.filter ? { valid: true } : null);
      replace(tableBox,
        table(columns, page.items ?? [], { sort: state.sort, onSort: sortBy, empty: state.filter ? "No record matches the filter." : "No records yet.", caption: `${current.name}: ${page.total ?? 0} records` }),
        pager(page, (skip) => { state.skip = skip; load(); }));
    } catch (error) {
      if (mine !== loading) return;
      const detail = detailsOf(error).find((d) => d.position !== undefined && d.position !== null);
      if (error?.status === 400 && state.filter && detail) {
        ruleStatus(filterBox, state.filter, { valid: false, error: { message: detail.message, position: detail.position } });
      } else showError(box, error);
    }
  }

  function sortBy(name) {
    state.sort = state.sort === name ? `-${name}` : name;
    state.skip = 0;
    load();
  }

  filter.addEventListener("input", debounce(() => { state.filter = filter.value.trim(); state.skip = 0; load(); }, 300));

  async function remove(record) {
    const ok = await confirmAction(`Delete ${record.id}?`, `The record ${record.id} of ${current.name} is deleted for good.`);
    if (!ok) return;
    try {
      await ctx.call("DELETE", `/records/${encodeURIComponent(current.name)}/${encodeURIComponent(record.id)}`);
      notice(box, `Deleted ${record.id}.`);
      load();
    } catch (error) { showError(box, error); }
  }

  function edit(record) {
    const inputs = fields.map((f) => [f, inputFor(f, record?.[f.name])]);
    const formBox2 = h("div", { "aria-live": "polite" });
    const form = h("form", { class: "card", id: "record-form", novalidate: true },
      h("h2", { text: record ? `Edit ${record.id}` : `New ${current.name} record` }),
      formBox2,
      inputs.map(([f, input]) => f.type === "boolean"
        ? h("div", { class: "field" }, input.parentNode ?? input, h("p", { class: "field-error", dataset: { errorFor: f.name } }))
        : field(`${f.name} (${f.type}${f.required ? ", required" : ""})`, input, { name: f.name })),
      h("div", { class: "actions" },
        h("button", { type: "submit", id: "save-record", text: record ? "Save" : "Create" }),
        h("button", { type: "button", class: "secondary", text: "Cancel", onClick: () => replace(formBox) })));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = {};
      for (const [f, input] of inputs) {
        const value = readInput(f, input);
        if (value !== undefined) data[f.name] = value;
      }
      try {
        if (record) await records.update(record.id, ctx.body(data));
        else await records.create(ctx.body(data));
        replace(formBox);
        notice(box, record ? `Saved ${record.id}.` : "Created.");
        load();
      } catch (error) { showError(formBox2, error, form); }
    });
    replace(formBox, form);
    form.querySelector("input, textarea, select")?.focus();
  }

  // Live: any change to the collection reloads the page of the table being shown.
  const reload = debounce(load, 150);
  const subscription = ctx.sb.subscribe(current.name, {
    accountId: ctx.accountId,
    onOpen: () => { live.className = "live"; live.textContent = "● live"; },
    onError: (_error, info) => { live.className = "live off"; live.textContent = info?.fatal ? "○ not live" : "○ reconnecting"; },
  }, () => reload());

  await load();
  return () => subscription.close();
}

function inputFor(f, value) {
  const name = f.name;
  switch (f.type) {
    case "boolean": {
      const label = check(name, { name, checked: value === true });
      return label.querySelector("input");
    }
    case "number": return h("input", { name, type: "number", step: "any", value: value ?? "" });
    case "email": return h("input", { name, type: "email", value: value ?? "" });
    case "url": return h("input", { name, type: "url", value: value ?? "" });
    case "datetime": return h("input", { name, value: value ?? "", placeholder: "2026-01-05T10:00:00Z" });
    case "json": return h("textarea", { name, text: value === undefined || value === null ? "" : JSON.stringify(value, null, 2) });
    case "reference": return h("input", { name, value: value ?? "", placeholder: `id of a ${f.options?.collection ?? ""} record` });
    default: return h("input", { name, value: value ?? "" });
  }
}

function readInput(f, input) {
  if (f.type === "boolean") return input.checked;
  const text = input.value;
  if (text === "") return f.required ? undefined : null;
  if (f.type === "number") return Number(text);
  if (f.type === "json") { try { return JSON.parse(text); } catch { return text; } }
  return text;
}
