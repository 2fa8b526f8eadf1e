// Pools: the list (searched by name or tag through the API, oldest or newest first), and the create /
// edit / delete dialogs the pool page reuses.

import { del, get, page, patch, post, summary } from "../api.js";
import {
  append,
  button,
  confirmDialog,
  copyButton,
  emptyState,
  errorBox,
  field,
  fmt,
  formatTags,
  guarded,
  h,
  icon,
  loadingBlock,
  openDialog,
  orderSelect,
  parseTags,
  replace,
  spinner,
  tagList,
  time,
  toast,
} from "../dom.js";

const enc = encodeURIComponent;
const PAGE_SIZE = 25;
const SEARCH_DELAY_MS = 300;
const TAG_TERM = /^([a-zA-Z0-9._~-]+)[=:]([a-zA-Z0-9._~-]+)$/;

export function poolName(p) {
  return p.name ? p.name : h("span.muted.untitled", "Untitled pool");
}

export function protectedBadge(p) {
  return p.deletionProtection ? h("span.badge.badge-protected", { title: "Deletion protection is on" }, icon("lock"), "Protected") : null;
}

/** The list filters for a search box term: `key=value` (or `key:value`) is a tag, anything else a name prefix. */
export function searchFilters(term) {
  const tag = term.match(TAG_TERM);
  if (tag) return { tag: `${tag[1]}:${tag[2]}` };
  return term ? { namePrefix: term } : {};
}

// -- dialogs --------------------------------------------------------------------------------------------
/** Create (no pool) or edit a pool. Resolves with true when something was saved. */
export function poolDialog(ctx, existing = null) {
  const name = h("input", { name: "name", maxlength: "256", value: existing?.name || "", placeholder: "e.g. Marketing US" });
  const tags = h("textarea", { name: "tags", rows: "3", placeholder: "team=growth\nregion=us", spellcheck: "false" });
  tags.value = formatTags(existing?.tags);
  const errors = h("div");
  return openDialog(existing ? "Edit pool" : "New sender pool", (body, close) => {
    const save = h("button.btn.btn-primary", { type: "submit" }, existing ? "Save changes" : "Create pool");
    const form = h(
      "form",
      {
        novalidate: true,
        async onsubmit(event) {
          event.preventDefault();
          save.disabled = true;
          replace(errors);
          const request = { name: name.value.trim(), tags: parseTags(tags.value) };
          try {
            if (existing) {
              await patch(`/v1/SenderPools/${enc(existing.id)}`, request, ctx.signal);
              toast("Pool saved.");
              close(true);
            } else {
              const ref = await post("/v1/SenderPools", request, ctx.signal);
              const found = await get("/v1/SenderPools", { operationId: ref.operationId }, ctx.signal);
              const created = found.senderPools[0];
              toast(`Pool “${created.name || "Untitled"}” created.`);
              close(true);
              ctx.navigate(`/pools/${enc(created.id)}`);
            }
          } catch (error) {
            replace(errors, errorBox(error, "The pool was not saved"));
            save.disabled = false;
          }
        },
      },
      field("Name", name, "Up to 256 characters. Names do not have to be unique."),
      field("Tags", tags, "key=value, one per line or comma-separated; at most 10. Letters, digits and . _ ~ - only."),
      errors,
      h("div.dialog-actions", button("Cancel", { onclick: () => close(false) }), save),
    );
    append(body, [form]);
  }).then(Boolean);
}

/** Confirm, then delete a pool. Resolves true when deleted. */
export async function deletePool(ctx, p) {
  if (p.deletionProtection) {
    toast(`“${p.name || "Untitled pool"}” has deletion protection on. Turn it off on the pool's page first.`, "error");
    return false;
  }
  const ok = await confirmDialog({
    title: "Delete this pool?",
    message: h(
      "div",
      h("p", "Pool ", h("strong", p.name || "Untitled pool"), " (", h("code.mono", p.id), ") will be deleted."),
      h("p.muted", "Its memberships go; the senders stay in your inventory. Operations still running for it are canceled. This cannot be undone."),
    ),
    confirmLabel: "Delete pool",
    danger: true,
  });
  if (!ok) return false;
  try {
    await del(`/v1/SenderPools/${enc(p.id)}`, ctx.signal);
    toast("Pool deleted.");
    return true;
  } catch (error) {
    toast(error.message, "error");
    return false;
  }
}

/** Turn deletion protection on or off (PATCH deletionProtection). Resolves with the pool as it is now. */
export async function setProtection(ctx, p, on) {
  await patch(`/v1/SenderPools/${enc(p.id)}`, { deletionProtection: on }, ctx.signal);
  toast(on ? "Deletion protection is on: the pool cannot be deleted until it is turned off." : "Deletion protection is off.");
  return get(`/v1/SenderPools/${enc(p.id)}`, null, ctx.signal);
}

// -- the list ---------------------------------------------------------------------------------------------
export async function poolsPage(ctx) {
  const search = h("input.search-input", {
    type: "search",
    placeholder: "Search: name starts with…, or a tag as key=value",
    "aria-label": "Search pools",
    value: ctx.query.get("q") || "",
  });
  const order = orderSelect(ctx.query.get("order") || "");
  const summaryText = h("span.muted.toolbar-summary");
  const body = h("div");
  const footer = h("div.list-footer");
  const newPool = async () => {
    if (await poolDialog(ctx)) ctx.refresh();
  };
  replace(
    ctx.main,
    h(
      "div.page",
      h(
        "header.page-header",
        h("div", h("h1", "Sender pools"), h("p.subtitle", "Group senders so each campaign or team sends from the right numbers and addresses.")),
        h("div.actions", button("New pool", { variant: "primary", onclick: newPool }, "plus")),
      ),
      h("div.toolbar", h("label.search", icon("search"), search), h("div.filters", order), summaryText),
      body,
      footer,
    ),
  );

  const counts = new Map(); // pool id -> member count text
  const countQueue = [];
  let counting = 0;
  function countCell(p) {
    const cell = h("td.num", spinner("Counting members"));
    const show = (text) => replace(cell, text);
    if (counts.has(p.id)) show(counts.get(p.id));
    else {
      countQueue.push([p.id, show]);
      pumpCounts();
    }
    return cell;
  }
  function pumpCounts() {
    while (counting < 4 && countQueue.length && !ctx.signal.aborted) {
      const [poolId, show] = countQueue.shift();
      counting++;
      summary(poolId, ctx.signal)
        .then((found) => fmt.number(found.senderCount)) // a failure here (the view left meanwhile) shows "—" too
        .then(
          (text) => {
            counts.set(poolId, text);
            show(text);
          },
          () => show("—"),
        )
        .finally(() => {
          counting--;
          pumpCounts();
        });
    }
  }

  function rowFor(p) {
    return h(
      "tr",
      { dataset: { poolId: p.id } },
      h(
        "td",
        h("a.row-link", { href: `#/pools/${enc(p.id)}` }, poolName(p)),
        protectedBadge(p),
        h("div.sub.mono-small", p.id, copyButton(p.id, "Copy pool ID")),
      ),
      h("td", tagList(p.tags)),
      countCell(p),
      h("td", time(p.createdAt)),
      h(
        "td.col-actions",
        h("button.icon-btn", { type: "button", title: "Edit", "aria-label": `Edit ${p.name || p.id}`, onclick: async () => (await poolDialog(ctx, p)) && ctx.refresh() }, icon("edit")),
        h("button.icon-btn.danger", { type: "button", title: "Delete", "aria-label": `Delete ${p.name || p.id}`, onclick: async () => (await deletePool(ctx, p)) && ctx.refresh() }, icon("trash")),
      ),
    );
  }

  const tbody = h("tbody");
  const table = h(
    "div.table-wrap",
    h("table.table", h("thead", h("tr", h("th", "Name"), h("th", "Tags"), h("th.num", "Members"), h("th", "Created"), h("th.col-actions", h("span.sr-only", "Actions")))), tbody),
  );
  let filters = {};
  let next = null;
  let shown = 0;
  let generation = 0; // a newer search makes the answers of older ones moot

  function renderFooter() {
    replace(footer, next ? button("Load more", { onclick: () => loadMore() }) : shown > PAGE_SIZE ? h("span.muted", "That is every pool.") : null);
    const term = search.value.trim();
    const what = filters.tag ? `with tag ${filters.tag.replace(":", "=")}` : filters.namePrefix ? `named “${term}…”` : "";
    replace(summaryText, `${fmt.plural(shown, "pool")}${what ? ` ${what}` : ""}${next ? " shown, more available" : ""}`);
  }

  async function loadMore() {
    const result = await page("/v1/SenderPools", "senderPools", filters, next, PAGE_SIZE, ctx.signal);
    tbody.append(...result.items.map(rowFor));
    shown += result.items.length;
    next = result.next;
    renderFooter();
  }

  /** The first page for the search box and order; the hash remembers them (without a re-render). */
  async function load() {
    const mine = ++generation;
    const term = search.value.trim();
    filters = { ...searchFilters(term), order: order.value };
    const q = new URLSearchParams();
    if (term) q.set("q", term);
    if (order.value) q.set("order", order.value);
    history.replaceState(null, "", `#/pools${q.size ? `?${q}` : ""}`);
    const first = await page("/v1/SenderPools", "senderPools", filters, null, PAGE_SIZE, ctx.signal);
    if (mine !== generation) return;
    replace(tbody, first.items.map(rowFor));
    shown = first.items.length;
    next = first.next;
    if (!shown) {
      replace(
        body,
        term
          ? emptyState({
              iconName: "search",
              title: `No pool matches “${term}”`,
              text: "The search finds names that start with the words (any case), or a tag written key=value.",
              actions: [button("Clear search", { onclick: clearSearch })],
            })
          : emptyState({
              iconName: "pools",
              title: "No sender pools yet",
              text: "A pool groups senders (phone numbers, e-mail addresses, push identities) that messages can go out from. Create one, then add senders from your inventory.",
              actions: [button("Create your first pool", { variant: "primary", onclick: newPool }, "plus"), h("a.btn", { href: "#/senders" }, "Register senders first")],
            }),
      );
    } else replace(body, table);
    renderFooter();
  }

  function clearSearch() {
    search.value = "";
    load();
  }

  let timer = null;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => load().catch((error) => error.name !== "AbortError" && replace(body, errorBox(error))), SEARCH_DELAY_MS);
  });
  order.addEventListener("change", guarded(load));
  replace(body, loadingBlock("Loading pools…"));
  await load();
}
