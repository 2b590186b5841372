// Small DOM helpers for the console. Every value from the API goes into the page as text
// (text nodes, textContent, attributes set one by one): nothing here ever parses HTML.

/**
 * Creates an element. `attrs`: `class`, `text`, `on<Event>` (a function), `dataset` (an object),
 * boolean properties (`checked`, `disabled`, `required`, `hidden`), anything else as an attribute.
 * Children: nodes, strings (as text), arrays of them; null and false are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = String(value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2).toLowerCase(), value);
    else if (["checked", "disabled", "required", "hidden", "selected", "multiple", "readOnly"].includes(key)) node[key] = Boolean(value);
    else if (key === "value") node.value = String(value);
    else node.setAttribute(key, String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else if (child instanceof Node) node.appendChild(child);
    else node.appendChild(document.createTextNode(String(child)));
  }
}

/** Empties a node and puts `children` in it. */
export function replace(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

let uid = 0;
/** A unique id for a label's `for`. */
export const nextId = (prefix = "f") => `${prefix}-${++uid}`;

/**
 * A labelled control: `<div class="field"><label for>…</label>control<p class="field-error"></p></div>`.
 * `name` ties the error paragraph to a 422 detail's `field`.
 */
export function field(label, control, { name, hint } = {}) {
  if (!control.id) control.id = nextId();
  const error = h("p", { class: "field-error", role: "alert", dataset: { errorFor: name ?? control.name ?? "" } });
  if (name) control.dataset.field = name;
  return h("div", { class: "field" }, h("label", { for: control.id, text: label }), control, hint ? h("p", { class: "hint", text: hint }) : null, error);
}

/** A checkbox with its label after it. */
export function check(label, attrs = {}) {
  const input = h("input", { type: "checkbox", id: nextId("c"), ...attrs });
  return h("label", { class: "check", for: input.id }, input, " ", label);
}

/** Formats a value for a table cell, always as text. */
export function cellText(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/**
 * Shows an error: the API's message in `box`, and for 422 (and rule errors) each detail beside its
 * field in `form` (an element holding `.field-error[data-error-for]`).
 */
export function showError(box, error, form) {
  clearErrors(form);
  const message = error?.message ?? String(error);
  const lines = [];
  const details = detailsOf(error);
  for (const detail of details) {
    const slot = form && detail.field ? findErrorSlot(form, detail.field) : null;
    const text = detail.position !== undefined && detail.position !== null ? `${detail.message} (at position ${detail.position})` : detail.message;
    if (slot) slot.textContent = text;
    else lines.push(detail.field ? `${detail.field}: ${text}` : text);
  }
  let wait = "";
  if (error?.status === 429 && error.retryAfter) wait = ` Try again in ${error.retryAfter} s.`;
  replace(box, h("div", { class: "alert error", role: "alert" }, h("strong", { text: message + wait }), lines.length ? h("ul", {}, lines.map((l) => h("li", { text: l }))) : null));
}

/**
 * The `details` of an API error: the client's SnackBaseError carries the error JSON as `details`
 * (so the list is `details.details`); a plain list is accepted too.
 */
export function detailsOf(error) {
  if (Array.isArray(error?.details)) return error.details;
  if (Array.isArray(error?.details?.details)) return error.details.details;
  return [];
}

function findErrorSlot(form, name) {
  for (const slot of form.querySelectorAll(".field-error")) if (slot.dataset.errorFor === name) return slot;
  // `permissions.0.rules.read` or `schema.fields.1.name`: the longest known suffix.
  for (const slot of form.querySelectorAll(".field-error")) if (slot.dataset.errorFor && name.endsWith(slot.dataset.errorFor)) return slot;
  return null;
}

export function clearErrors(form) {
  if (!form) return;
  for (const slot of form.querySelectorAll(".field-error")) slot.textContent = "";
}

/** A success or information line in `box`. */
export function notice(box, text, kind = "ok") {
  replace(box, h("div", { class: `alert ${kind}`, role: "status", text }));
}

/**
 * Asks for a confirmation in a modal `<dialog>` (never window.confirm): `what` says what will be lost.
 * Resolves true when confirmed.
 */
export function confirmAction(title, what, action = "Delete") {
  return new Promise((resolve) => {
    const dialog = h("dialog", { class: "confirm", "aria-labelledby": "confirm-title" });
    const done = (answer) => { dialog.close(); dialog.remove(); resolve(answer); };
    dialog.append(
      h("h2", { id: "confirm-title", text: title }),
      h("p", { text: what }),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary", text: "Cancel", onClick: () => done(false) }),
        h("button", { type: "button", class: "danger", text: action, onClick: () => done(true) })),
    );
    dialog.addEventListener("cancel", (event) => { event.preventDefault(); done(false); });
    document.body.append(dialog);
    dialog.showModal();
    dialog.querySelector("button.danger").focus();
  });
}

/**
 * A table: `columns` = [{label, value: (row) => text | Node, sort?: "field"}]. `sort` (current, e.g.
 * "-created_at") and `onSort(field)` make headers buttons.
 */
export function table(columns, rows, { sort, onSort, empty = "Nothing here yet.", caption } = {}) {
  const head = h("tr", {}, columns.map((column) => {
    if (!column.sort || !onSort) return h("th", { scope: "col", text: column.label });
    const active = sort === column.sort ? "ascending" : sort === `-${column.sort}` ? "descending" : "none";
    const arrow = active === "ascending" ? " ▲" : active === "descending" ? " ▼" : "";
    return h("th", { scope: "col", "aria-sort": active },
      h("button", { type: "button", class: "sort", text: column.label + arrow, onClick: () => onSort(column.sort) }));
  }));
  const body = rows.length
    ? rows.map((row) => h("tr", {}, columns.map((column) => {
      const value = column.value(row);
      return h("td", { dataset: { label: column.label } }, value instanceof Node ? value : cellText(value));
    })))
    : [h("tr", {}, h("td", { colspan: columns.length, class: "empty", text: empty }))];
  return h("div", { class: "table-wrap" }, h("table", {}, caption ? h("caption", { text: caption }) : null, h("thead", {}, head), h("tbody", {}, body)));
}

/** Paging controls for a list answer `{total, skip, limit}`. */
export function pager(page, onPage) {
  const { total = 0, skip = 0, limit = 20 } = page ?? {};
  const last = Math.max(0, Math.ceil(total / limit) - 1);
  const current = Math.floor(skip / limit);
  return h("nav", { class: "pager", "aria-label": "Pages" },
    h("button", { type: "button", class: "secondary", text: "Previous", disabled: current <= 0, onClick: () => onPage((current - 1) * limit) }),
    h("span", { text: total ? `${skip + 1}–${Math.min(total, skip + limit)} of ${total}` : "0 items" }),
    h("button", { type: "button", class: "secondary", text: "Next", disabled: current >= last, onClick: () => onPage((current + 1) * limit) }));
}

/** The items of a list answer, which is a page `{items}` or an array. */
export const itemsOf = (answer) => (Array.isArray(answer) ? answer : answer?.items ?? []);

/** Waits `ms` after the last call before running `fn` (checking as one types). */
export function debounce(fn, ms = 250) {
  let timer;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

/**
 * Under a rule or filter input: "valid", or the error with a caret under its position.
 * `result`: {valid: true} | {valid: false, error: {message, position}} | null (empty).
 */
export function ruleStatus(box, source, result) {
  if (!result) return replace(box);
  if (result.valid) return replace(box, h("span", { class: "rule-ok", text: "✓ valid" }));
  const position = Math.max(0, Math.min(result.error.position ?? 0, source.length));
  const before = source.slice(0, position);
  const at = source.slice(position, position + 1) || " ";
  const after = source.slice(position + 1);
  return replace(box,
    h("div", { class: "rule-error", role: "alert" },
      h("code", { class: "rule-source" }, before, h("mark", { class: "rule-at", text: at }), after),
      h("span", { class: "rule-message", text: `${result.error.message} (at position ${position})` })));
}

/** A text download of `text` (audit export). */
export function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A page title and optional actions. */
export function pageHeader(title, ...actions) {
  return h("header", { class: "page-header" }, h("h1", { text: title }), actions.length ? h("div", { class: "actions" }, actions) : null);
}

/** A short relative or absolute time for a timestamp. */
export function when(value) {
  if (!value) return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString().replace("T", " ").slice(0, 19);
}
