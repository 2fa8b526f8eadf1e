// DOM building blocks. Everything the API returns reaches the page as text nodes or attribute values
// set through the DOM (never innerHTML), so names, tags and addresses cannot inject markup.

const SVG_NS = "http://www.w3.org/2000/svg";

/** h("a.link", {href: "#/x", onclick: fn}, "text", child, [more]) -> an element. */
export function h(spec, attrs, ...children) {
  const [tag, ...classes] = spec.split(".");
  const el = document.createElement(tag || "div");
  if (classes.length) el.className = classes.join(" ");
  if (attrs && (typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = [el.className, value].filter(Boolean).join(" ");
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "value") el.value = value;
    else if (key === "checked") el.checked = Boolean(value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

// -- icons (static path data, never data from the API) ----------------------------------------
const ICONS = {
  pools: "M4 6a2 2 0 1 1 4 0 2 2 0 0 1-4 0Zm8 0a2 2 0 1 1 4 0 2 2 0 0 1-4 0ZM8 14a2 2 0 1 1 4 0 2 2 0 0 1-4 0ZM2 17h16",
  senders: "M3 5h14v10H3zM3 5l7 5 7-5",
  operations: "M3 10h3l2-5 4 10 2-5h3",
  plus: "M10 4v12M4 10h12",
  upload: "M10 14V4M6 8l4-4 4 4M4 16h12",
  download: "M10 4v10M6 10l4 4 4-4M4 16h12",
  trash: "M5 6h10M8 6V4h4v2M6 6l1 10h6l1-10",
  edit: "M4 16l1-4 8-8 3 3-8 8-4 1Z",
  copy: "M7 7h9v9H7zM4 13V4h9",
  logout: "M8 4H4v12h4M12 6l4 4-4 4M16 10H8",
  search: "M9 15a6 6 0 1 0 0-12 6 6 0 0 0 0 12ZM13.5 13.5 17 17",
  docs: "M5 3h7l3 3v11H5zM12 3v3h3M8 10h5M8 13h5",
  close: "M5 5l10 10M15 5 5 15",
  check: "M4 10l4 4 8-8",
  alert: "M10 3 2 17h16L10 3ZM10 8v4M10 14.5v.5",
  inbox: "M3 11l2-7h10l2 7v5H3zM3 11h4l1 2h4l1-2h4",
  stop: "M6 6h8v8H6z",
  lock: "M6 9V6a4 4 0 0 1 8 0v3M5 9h10v8H5z",
  webhook: "M10 3a3 3 0 0 0-2.6 4.5L5 12M10 3a3 3 0 0 1 2.6 4.5L15 12M5 12a3 3 0 1 0 3 3h7M15 12a3 3 0 1 1-1 5.8",
  send: "M3 10 17 3l-4 14-3-6-7-1ZM10 11l7-8",
};

export function icon(name, label) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 20 20");
  svg.setAttribute("class", "icon");
  if (label) svg.setAttribute("aria-label", label);
  else svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(SVG_NS, "path");
  path.setAttribute("d", ICONS[name]);
  svg.append(path);
  return svg;
}

// -- formatting ---------------------------------------------------------------------------------
const numberFormat = new Intl.NumberFormat();
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const thisYearFormat = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });
const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

export const fmt = {
  number: (n) => numberFormat.format(n),
  date: (iso) => (iso ? dateFormat.format(new Date(iso)) : "—"),
  /** "Nov 24, 5:55 AM" this year, "Nov 24, 2025, 5:55 AM" before. */
  short(iso) {
    const date = new Date(iso);
    return date.getFullYear() === new Date().getFullYear() ? thisYearFormat.format(date) : dateFormat.format(date);
  },
  ago(iso) {
    const seconds = Math.round((new Date(iso).getTime() - Date.now()) / 1000);
    const abs = Math.abs(seconds);
    if (abs < 60) return relativeFormat.format(seconds, "second");
    if (abs < 3600) return relativeFormat.format(Math.round(seconds / 60), "minute");
    if (abs < 86400) return relativeFormat.format(Math.round(seconds / 3600), "hour");
    return relativeFormat.format(Math.round(seconds / 86400), "day");
  },
  plural: (n, one, many = `${one}s`) => `${numberFormat.format(n)} ${n === 1 ? one : many}`,
};

/** A timestamp: short absolute text, the exact value on hover. */
export function time(iso) {
  return h("time", { datetime: iso, title: fmt.date(iso) + ` (${iso})` }, fmt.short(iso));
}

// -- small components ---------------------------------------------------------------------------
export function pill(status) {
  return h(`span.pill.pill-${String(status).toLowerCase()}`, status);
}

export function channelBadge(channel) {
  return h(`span.channel.channel-${String(channel).toLowerCase()}`, channel);
}

export function tagList(tags) {
  const entries = Object.entries(tags || {});
  if (!entries.length) return h("span.muted", "—");
  return h(
    "span.tags",
    entries.map(([k, v]) => h("span.tag", { title: `${k}=${v}` }, h("span.tag-key", k), h("span.tag-value", v))),
  );
}

/** An async event handler whose failure becomes an error toast instead of an unhandled rejection. */
export function guarded(handler) {
  return async (event) => {
    try {
      await handler(event);
    } catch (error) {
      if (error.name !== "AbortError" && error.status !== 401) toast(error.message || String(error), "error");
    }
  };
}

export function button(label, attrs = {}, iconName = null) {
  const { variant = "", ...rest } = attrs;
  for (const [key, value] of Object.entries(rest)) {
    if (key.startsWith("on") && typeof value === "function") rest[key] = guarded(value);
  }
  const classes = ["btn", ...variant.split(" ").filter(Boolean).map((v) => `btn-${v}`)].join(".");
  return h(`button.${classes}`, { type: "button", ...rest }, iconName ? icon(iconName) : null, label);
}

export function copyButton(text, label = "Copy") {
  return h(
    "button.icon-btn",
    {
      type: "button",
      title: label,
      "aria-label": `${label}: ${text}`,
      async onclick() {
        try {
          await navigator.clipboard.writeText(text);
          toast("Copied to the clipboard.");
        } catch {
          toast("The browser did not allow copying.", "error");
        }
      },
    },
    icon("copy"),
  );
}

export function mono(text) {
  return h("code.mono", text);
}

export function spinner(label = "Loading") {
  return h("span.spinner", { role: "status", "aria-label": label });
}

export function emptyState({ iconName = "inbox", title, text, actions = [] }) {
  return h(
    "div.empty",
    h("div.empty-icon", icon(iconName)),
    h("h3", title),
    text ? h("p", text) : null,
    actions.length ? h("div.empty-actions", actions) : null,
  );
}

export function loadingBlock(text = "Loading…") {
  return h("div.loading", spinner(), h("span", text));
}

/** An alert listing every error of an API error envelope (or any Error). */
export function errorBox(error, title = null) {
  const details = error && Array.isArray(error.errors) ? error.errors : [];
  return h(
    "div.alert.alert-error",
    { role: "alert" },
    icon("alert"),
    h(
      "div",
      h("strong", title || error.title || "Something went wrong"),
      details.length
        ? h(
            "ul",
            details.map((e) =>
              h(
                "li",
                e.message,
                e.context && e.context !== "null" ? h("span.context", " ", mono(e.context)) : null,
                e.infoUrl ? [" ", h("a.more", { href: docsLink(e.infoUrl, e.code), target: "_blank", rel: "noopener" }, `Error ${e.code}`)] : null,
              ),
            ),
          )
        : h("p", error.message || String(error)),
    ),
  );
}

/** Same-origin docs page for an error (infoUrl may carry the server's public URL). */
function docsLink(infoUrl, code) {
  try {
    const url = new URL(infoUrl, location.href);
    if (url.origin === location.origin) return url.pathname;
  } catch {
    /* fall through */
  }
  return `/docs/errors/${Number(code) || ""}`;
}

// -- progress -------------------------------------------------------------------------------------
/** A stacked progress bar for an operation's stats: created (green), failed (red), queued (track). */
export function progressBar(stats, status, large = false) {
  const created = h("span.seg.seg-created");
  const failed = h("span.seg.seg-failed");
  const bar = h(`div.progress${large ? ".progress-large" : ""}`, { role: "progressbar", "aria-valuemin": "0" }, created, failed);
  bar.update = (s, st) => {
    const total = Math.max(s.total, 1);
    created.style.width = `${(100 * s.created) / total}%`;
    failed.style.width = `${(100 * s.failed) / total}%`;
    bar.setAttribute("aria-valuemax", String(s.total));
    bar.setAttribute("aria-valuenow", String(s.created + s.failed));
    bar.setAttribute("aria-label", `${s.created + s.failed} of ${s.total} items processed`);
    bar.classList.toggle("is-processing", st === "PROCESSING");
  };
  bar.update(stats, status);
  return bar;
}

/** How far an operation got: a percentage, or "Canceled" (a canceled operation is not "100% done"). */
export function percent(stats, status = null) {
  if (status === "CANCELED") return "Canceled";
  if (!stats.total) return "100%";
  return `${Math.floor((100 * (stats.created + stats.failed)) / stats.total)}%`;
}

// -- toasts and dialogs -----------------------------------------------------------------------------
export function toast(message, kind = "info") {
  const host = document.getElementById("toasts");
  const el = h(`div.toast.toast-${kind}`, { role: kind === "error" ? "alert" : "status" }, message);
  host.append(el);
  setTimeout(() => el.classList.add("leaving"), 3800);
  setTimeout(() => el.remove(), 4200);
}

/**
 * A modal <dialog>. `build(body, close)` fills it; returns a Promise of the value given to close().
 * Escape or the close button resolves with null.
 */
export function openDialog(title, build, { wide = false } = {}) {
  return new Promise((resolve) => {
    const body = h("div.dialog-body");
    const dialog = h(
      `dialog.dialog${wide ? ".dialog-wide" : ""}`,
      { "aria-label": title },
      h("header.dialog-header", h("h2", title), h("button.icon-btn", { type: "button", "aria-label": "Close", onclick: () => close(null) }, icon("close"))),
      body,
    );
    let done = false;
    function close(value) {
      if (done) return;
      done = true;
      dialog.close();
      dialog.remove();
      resolve(value);
    }
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      close(null);
    });
    document.body.append(dialog);
    build(body, close);
    dialog.showModal();
    const first = dialog.querySelector("input:not([type=hidden]), textarea, select");
    if (first) first.focus();
  });
}

/** Confirm a destructive action. Resolves true when confirmed. */
export function confirmDialog({ title, message, confirmLabel = "Confirm", cancelLabel = "Cancel", danger = false }) {
  return openDialog(title, (body, close) => {
    append(body, [
      h("div.dialog-message", message),
      h(
        "div.dialog-actions",
        button(cancelLabel, { onclick: () => close(false) }),
        button(confirmLabel, { variant: danger ? "danger" : "primary", onclick: () => close(true) }),
      ),
    ]);
  }).then(Boolean);
}

/** A labelled form field. */
export function field(label, control, hint = null) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  return h("div.field", h("label", { for: id }, label), control, hint ? h("p.hint", hint) : null);
}

export function select(name, options, value = "") {
  return h(
    "select",
    { name },
    options.map(([v, label]) => h("option", { value: v, selected: v === value ? true : null }, label)),
  );
}

/**
 * Oldest or newest first: the `order` of every list. `fallback` is the order shown when the URL names
 * none: newest first where new rows matter (after an import they are on the first page).
 */
export function orderSelect(value = "", fallback = "oldest") {
  const el = select("order", [["newest", "Newest first"], ["oldest", "Oldest first"]], value || fallback);
  el.setAttribute("aria-label", "Order");
  return el;
}

/** Parse "key=value" pairs, one per line or separated by commas, into a tags object. */
export function parseTags(text) {
  const tags = {};
  for (const part of text.split(/[\n,]/)) {
    const item = part.trim();
    if (!item) continue;
    const at = item.indexOf("=");
    if (at < 0) tags[item] = "";
    else tags[item.slice(0, at).trim()] = item.slice(at + 1).trim();
  }
  return tags;
}

export function formatTags(tags) {
  return Object.entries(tags || {})
    .map(([k, v]) => `${k}=${v}`)
    .join("\n");
}

/** A link that saves `text` as the file `filename` (no request: the text is already in the page). */
export function downloadLink(label, filename, text, type = "text/csv") {
  const href = URL.createObjectURL(new Blob([text], { type }));
  return h("a.btn.btn-small", { href, download: filename }, icon("download"), label);
}

/** Run `task(item)` over items with at most `limit` at a time. */
export async function pool(items, limit, task) {
  const results = new Array(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i], i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
