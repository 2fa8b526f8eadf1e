// Pools: the searchable, paginated list, and the create / edit / delete dialogs the pool page reuses.

import { del, get, page, patch, post, rememberOperation } from "../api.js";
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
  h,
  icon,
  loadingBlock,
  openDialog,
  parseTags,
  replace,
  spinner,
  tagList,
  time,
  toast,
} from "../dom.js";

const enc = encodeURIComponent;
export const MEMBER_COUNT_CAP = 1000; // counting walks the member list; past this we show "1,000+"
const PAGE_SIZE = 25;

export function poolName(p) {
  return p.name ? p.name : h("span.muted.untitled", "Untitled pool");
}

/** Members of a pool, counted by reading at most MEMBER_COUNT_CAP of them: "12" or "1,000+". */
export async function memberCount(poolId, signal) {
  const body = await get(`/v1/SenderPools/${enc(poolId)}/Senders`, { pageSize: MEMBER_COUNT_CAP }, signal);
  const n = body.senders.length;
  return body.pagination.next ? `${fmt.number(MEMBER_COUNT_CAP)}+` : fmt.number(n);
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
              rememberOperation(created.id, ref.operationId, "Create pool");
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

// -- the list ---------------------------------------------------------------------------------------------
export async function poolsPage(ctx) {
  const search = h("input.search-input", { type: "search", placeholder: "Filter by name, ID or tag", "aria-label": "Search pools", value: ctx.query.get("q") || "" });
  const summary = h("span.muted.toolbar-summary");
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
      h("div.toolbar", h("label.search", icon("search"), search), summary),
      body,
      footer,
    ),
  );
  replace(body, loadingBlock("Loading pools…"));

  const loaded = [];
  let next = null;
  const rows = new Map(); // pool id -> row
  const counts = new Map(); // pool id -> count text or Promise
  const tbody = h("tbody");
  const table = h(
    "div.table-wrap",
    h("table.table", h("thead", h("tr", h("th", "Name"), h("th", "Tags"), h("th.num", "Members"), h("th", "Created"), h("th.col-actions", h("span.sr-only", "Actions")))), tbody),
  );
  const noMatch = h("div");

  function countCell(p) {
    const cell = h("td.num", spinner("Counting members"));
    const show = (text) => replace(cell, text);
    if (counts.has(p.id)) show(counts.get(p.id));
    else queueCount(p.id, show);
    return cell;
  }

  const countQueue = [];
  let counting = 0;
  function queueCount(id, show) {
    countQueue.push([id, show]);
    pumpCounts();
  }
  function pumpCounts() {
    while (counting < 3 && countQueue.length && !ctx.signal.aborted) {
      const [poolId, show] = countQueue.shift();
      counting++;
      memberCount(poolId, ctx.signal)
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
      h("td", h("a.row-link", { href: `#/pools/${enc(p.id)}` }, poolName(p)), h("div.sub.mono-small", p.id, copyButton(p.id, "Copy pool ID"))),
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

  function matches(p, term) {
    if (!term) return true;
    const haystack = [p.name, p.id, ...Object.entries(p.tags).map(([k, v]) => `${k}=${v}`)].join("\n").toLowerCase();
    return term
      .toLowerCase()
      .split(/\s+/)
      .every((word) => haystack.includes(word));
  }

  function renderList() {
    const term = search.value.trim();
    let shown = 0;
    for (const p of loaded) {
      const visible = matches(p, term);
      if (visible && !rows.has(p.id)) {
        const row = rowFor(p);
        rows.set(p.id, row);
        tbody.append(row);
      }
      if (rows.has(p.id)) rows.get(p.id).hidden = !visible;
      if (visible) shown++;
    }
    replace(
      summary,
      term
        ? `${fmt.plural(shown, "match", "matches")} among ${fmt.plural(loaded.length, "loaded pool")}${next ? " (search covers loaded pages only)" : ""}`
        : `${fmt.plural(loaded.length, "pool")}${next ? " loaded, more available" : ""}`,
    );
    replace(
      noMatch,
      term && !shown
        ? emptyState({
            iconName: "search",
            title: `No loaded pool matches “${term}”`,
            text: next ? "Only the pages loaded so far were searched. Load the rest to search every pool." : "Try another name, ID or tag.",
            actions: [next ? button("Load all and search", { variant: "primary", onclick: loadAll }) : null, button("Clear search", { onclick: clearSearch })],
          })
        : null,
    );
    table.hidden = !shown;
    replace(
      footer,
      next
        ? [button("Load more", { onclick: () => loadMore() }), button("Load all", { variant: "ghost", onclick: loadAll })]
        : loaded.length > PAGE_SIZE
          ? h("span.muted", "All pools loaded.")
          : null,
    );
  }

  function clearSearch() {
    search.value = "";
    renderList();
  }

  async function loadMore(size = PAGE_SIZE) {
    const result = await page("/v1/SenderPools", "senderPools", {}, next, size, ctx.signal);
    loaded.push(...result.items);
    next = result.next;
    renderList();
  }

  async function loadAll() {
    replace(footer, loadingBlock("Loading every pool…"));
    try {
      while (next) await loadMore(1000);
    } catch (error) {
      replace(footer, errorBox(error));
    }
  }

  const first = await page("/v1/SenderPools", "senderPools", {}, null, PAGE_SIZE, ctx.signal);
  loaded.push(...first.items);
  next = first.next;
  if (!loaded.length) {
    replace(
      body,
      emptyState({
        iconName: "pools",
        title: "No sender pools yet",
        text: "A pool groups senders (phone numbers, e-mail addresses, push identities) that messages can go out from. Create one, then add senders from your inventory.",
        actions: [button("Create your first pool", { variant: "primary", onclick: newPool }, "plus"), h("a.btn", { href: "#/senders" }, "Register senders first")],
      }),
    );
    search.disabled = true;
    return;
  }
  replace(body, table, noMatch);
  search.addEventListener("input", renderList);
  renderList();
}

