// Operations: the account-wide list, one operation's live progress, and the widgets the pool page reuses.

import { ApiError, call, get, OPERATION_TYPES, page, serverFeatures } from "../api.js";
import {
  button,
  emptyState,
  errorBox,
  fmt,
  h,
  loadingBlock,
  mono,
  orderSelect,
  percent,
  pill,
  progressBar,
  replace,
  select,
  time,
  toast,
} from "../dom.js";

const POLL_MS = 1000;
const enc = encodeURIComponent;

export function operationHref(id, poolId = null) {
  return `#/operations/${enc(id)}${poolId ? `?pool=${enc(poolId)}` : ""}`;
}

/** "12 of 15 applied · 2 failed · 1 queued" */
export function statsLine(stats) {
  const parts = [`${fmt.number(stats.created)} of ${fmt.number(stats.total)} applied`];
  if (stats.failed) parts.push(`${fmt.number(stats.failed)} failed`);
  if (stats.queued) parts.push(`${fmt.number(stats.queued)} queued`);
  return parts.join(" · ");
}

/**
 * A compact, live operation row: status, progress bar and counts. Returns {el, update(op)}.
 * `label` names what it did ("Add senders"), when the caller knows.
 */
export function operationCard(op, { label = null, poolId = null } = {}) {
  const status = h("span");
  const bar = progressBar(op.stats, op.status);
  const counts = h("span.op-counts");
  const pct = h("span.op-percent");
  const el = h(
    "div.op-card",
    { dataset: { operationId: op.id } },
    h(
      "div.op-card-head",
      h("div.op-heading", h("a.op-title", { href: operationHref(op.id, poolId), title: op.id }, label || "Operation"), h("span.muted", time(op.createdAt))),
      status,
    ),
    bar,
    h("div.op-card-foot", counts, pct),
  );
  function update(next) {
    replace(status, pill(next.status));
    bar.update(next.stats, next.status);
    replace(counts, statsLine(next.stats));
    replace(pct, percent(next.stats));
    el.dataset.status = next.status;
  }
  update(op);
  return { el, update };
}

/**
 * Poll PROCESSING operations until each finishes. `entries` is a list of {op, update}; `onDone(op)` runs
 * once per operation that finishes while watched.
 */
export function watchOperations(ctx, entries, onDone = () => {}) {
  const live = new Map(entries.filter((e) => e.op.status === "PROCESSING").map((e) => [e.op.id, e]));
  if (!live.size) return;
  ctx.every(POLL_MS, async () => {
    await Promise.all(
      [...live.values()].map(async (entry) => {
        const op = await get(`/v1/SenderPools/Operations/${enc(entry.op.id)}`, null, ctx.signal);
        entry.op = op;
        entry.update(op);
        if (op.status !== "PROCESSING") {
          live.delete(op.id);
          onDone(op);
        }
      }),
    );
    return live.size > 0;
  });
}

// -- the list ---------------------------------------------------------------------------------------------
const RANGES = [
  ["3600", "Last hour"],
  ["86400", "Last 24 hours"],
  ["604800", "Last 7 days"],
  ["2592000", "Last 30 days"],
  ["", "All time"],
];

function isoSecondsAgo(seconds) {
  return new Date(Date.now() - seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export async function operationsPage(ctx) {
  const status = select("status", [["", "Any status"], ["PROCESSING", "Processing"], ["COMPLETED", "Completed"], ["CANCELED", "Canceled"]], ctx.query.get("status") || "");
  const type = select("type", [["", "Any type"], ...Object.entries(OPERATION_TYPES)], ctx.query.get("type") || "");
  const range = select("range", RANGES, ctx.query.get("range") ?? "604800");
  const order = orderSelect(ctx.query.get("order") || "");
  const poolId = ctx.query.get("pool") || "";
  status.setAttribute("aria-label", "Status");
  type.setAttribute("aria-label", "Type");
  range.setAttribute("aria-label", "Created");
  const body = h("div");
  const more = h("div.list-footer");
  replace(
    ctx.main,
    h(
      "div.page",
      h(
        "header.page-header",
        h("div", h("h1", "Operations"), h("p.subtitle", "Every Create, Add Senders and Remove Senders runs in the background as an operation. Progress updates live while they run.")),
      ),
      h(
        "div.toolbar",
        h("div.filters", status, type, range, order),
        poolId ? h("span.muted.toolbar-summary", "Of pool ", h("a.mono-link", { href: `#/pools/${enc(poolId)}` }, poolId), " · ", h("a", { href: "#/operations" }, "all pools")) : null,
      ),
      body,
      more,
    ),
  );
  const reload = () => {
    const q = new URLSearchParams();
    for (const control of [status, type, order]) if (control.value) q.set(control.name, control.value);
    if (poolId) q.set("pool", poolId);
    q.set("range", range.value);
    ctx.navigate(`/operations?${q}`);
  };
  for (const control of [status, type, range, order]) control.addEventListener("change", reload);

  const filters = {
    status: status.value,
    type: type.value,
    senderPoolId: poolId,
    order: order.value,
    startDate: range.value ? isoSecondsAgo(Number(range.value)) : null,
  };
  replace(body, loadingBlock("Loading operations…"));
  const first = await page("/v1/SenderPools/Operations", "operations", filters, null, 50, ctx.signal);
  if (!first.items.length) {
    replace(
      body,
      emptyState({
        iconName: "operations",
        title: status.value || type.value || poolId || range.value ? "No operations match these filters" : "No operations yet",
        text: "Operations appear when you create a pool, or add senders to a pool or remove them.",
        actions: [
          range.value ? button("Show all time", { onclick: () => ctx.navigate("/operations?range=") }) : null,
          h("a.btn.btn-primary", { href: "#/pools" }, "Go to pools"),
        ],
      }),
    );
    return;
  }
  const tbody = h("tbody");
  replace(
    body,
    h(
      "div.table-wrap",
      h(
        "table.table.operations-table",
        h("thead", h("tr", h("th", "Operation"), h("th", "Type"), h("th", "Pool"), h("th", "Status"), h("th.col-progress", "Progress"), h("th", "Created"))),
        tbody,
      ),
    ),
  );
  const entries = [];
  const addRows = (items) => {
    for (const op of items) {
      const statusCell = h("td");
      const bar = progressBar(op.stats, op.status);
      const counts = h("div.op-counts");
      const row = h(
        "tr",
        { dataset: { operationId: op.id } },
        h("td", h("a.mono-link", { href: operationHref(op.id) }, op.id)),
        h("td", OPERATION_TYPES[op.type] || "—"),
        h("td", op.senderPoolId ? h("a.mono-link", { href: `#/pools/${enc(op.senderPoolId)}`, title: op.senderPoolId }, `…${op.senderPoolId.slice(-8)}`) : "—"),
        statusCell,
        h("td.col-progress", bar, counts),
        h("td", time(op.createdAt)),
      );
      const entry = {
        op,
        update(next) {
          replace(statusCell, pill(next.status));
          bar.update(next.stats, next.status);
          replace(counts, statsLine(next.stats));
        },
      };
      entry.update(op);
      entries.push(entry);
      tbody.append(row);
    }
    watchOperations(ctx, entries.splice(0));
  };
  addRows(first.items);
  let next = first.next;
  const renderMore = () =>
    replace(
      more,
      next
        ? button("Load more", {
            async onclick(event) {
              event.currentTarget.disabled = true;
              const result = await page("/v1/SenderPools/Operations", "operations", filters, next, 50, ctx.signal);
              next = result.next;
              addRows(result.items);
              renderMore();
            },
          })
        : h("span.muted", `${order.value === "newest" ? "Newest" : "Oldest"} first. That is everything in this range.`),
    );
  renderMore();
}

// -- one operation -------------------------------------------------------------------------------------------
export async function operationPage(ctx) {
  const [id] = ctx.params;
  replace(ctx.main, h("div.page", loadingBlock("Loading the operation…")));
  let op = await get(`/v1/SenderPools/Operations/${enc(id)}`, null, ctx.signal);
  const features = await serverFeatures();
  const poolId = op.senderPoolId || ctx.query.get("pool") || null;
  const kind = OPERATION_TYPES[op.type] || "Operation";

  const statusSlot = h("span");
  const bar = progressBar(op.stats, op.status, true);
  const pct = h("div.big-percent");
  const legend = h("div.legend");
  const timing = h("p.muted");
  const cancelSlot = h("span");
  const itemsSection = h("section.section");
  const pool = poolId ? await get(`/v1/SenderPools/${enc(poolId)}`, null, ctx.signal).catch(() => null) : null;
  const poolLink = poolId
    ? pool
      ? h("a", { href: `#/pools/${enc(poolId)}` }, `Pool “${pool.name || "Untitled pool"}”`)
      : h("span.muted", "its pool was deleted")
    : null;

  replace(
    ctx.main,
    h(
      "div.page",
      h("nav.breadcrumb", h("a", { href: "#/operations" }, "Operations"), h("span", "/"), h("span.mono-small", id)),
      h(
        "header.page-header",
        h("div", h("h1", kind, " ", statusSlot), h("p.subtitle", mono(op.id), poolLink ? [" · ", poolLink] : null)),
        h("div.actions", cancelSlot),
      ),
      h("div.card.op-detail", h("div.op-detail-top", pct, legend), bar, timing),
      itemsSection,
    ),
  );

  function update() {
    replace(statusSlot, pill(op.status));
    bar.update(op.stats, op.status);
    replace(pct, percent(op.stats), h("span", op.status === "PROCESSING" ? "processing" : "done"));
    const stat = (cls, label, value) => h(`div.legend-item.${cls}`, h("span.swatch"), h("span.legend-label", label), h("strong", { dataset: { stat: label.toLowerCase() } }, fmt.number(value)));
    replace(legend, stat("l-created", "Created", op.stats.created), stat("l-failed", "Failed", op.stats.failed), stat("l-queued", "Queued", op.stats.queued), stat("l-total", "Total", op.stats.total));
    replace(timing, "Started ", time(op.createdAt), " · last change ", time(op.updatedAt), op.status === "PROCESSING" ? " · updating every second" : "");
    replace(
      cancelSlot,
      features.cancel && op.status === "PROCESSING"
        ? button("Cancel operation", { variant: "danger-outline", onclick: cancel }, "stop")
        : null,
    );
  }

  async function cancel() {
    try {
      op = await call("POST", `/v1/SenderPools/Operations/${enc(id)}/Cancel`, { signal: ctx.signal });
      toast("The operation was canceled; items not yet applied count as failed.");
      update();
      loadItems();
    } catch (error) {
      if (error.status === 409) toast("The operation had already finished.");
      else toast(error.message, "error");
    }
  }

  async function loadItems() {
    if (op.status === "PROCESSING") {
      replace(itemsSection, h("h2", "Per-item results"), h("p.muted", "Failures are listed here once the operation has finished."));
      return;
    }
    if (!op.stats.failed) {
      replace(itemsSection, h("h2", "Per-item results"), h("div.alert.alert-success", `All ${fmt.plural(op.stats.total, "item")} succeeded.`));
      return;
    }
    replace(itemsSection, h("h2", "Failed items"), loadingBlock("Loading the failed items…"));
    try {
      const failed = [];
      for (const outcome of ["SENDER_NOT_FOUND", "CANCELED"]) {
        const result = await page(`/v1/SenderPools/Operations/${enc(id)}/Items`, "items", { outcome }, null, 1000, ctx.signal);
        failed.push(...result.items);
      }
      renderItems(failed);
    } catch (error) {
      if (error instanceof ApiError && (error.status === 404 || error.status === 405)) {
        replace(itemsSection); // this server has no per-item endpoint: show the counts only
        return;
      }
      replace(itemsSection, h("h2", "Failed items"), errorBox(error));
    }
  }

  function renderItems(items) {
    const shown = items.slice(0, 1000);
    replace(
      itemsSection,
      h("h2", "Failed items ", h("span.count", fmt.number(op.stats.failed))),
      h(
        "div.table-wrap",
        h(
          "table.table.items-table",
          h("thead", h("tr", h("th", "Sender"), h("th", "Outcome"), h("th", "Error"))),
          h(
            "tbody",
            shown.map((item) =>
              h(
                "tr",
                h("td", item.senderId ? mono(item.senderId) : h("span.muted", "the pool")),
                h("td", pill(item.outcome)),
                h("td", item.code ? h("span.muted", `${item.code} `) : null, item.message || ""),
              ),
            ),
          ),
        ),
      ),
      op.stats.failed > shown.length ? h("p.muted", `Showing the first ${fmt.number(shown.length)}.`) : null,
    );
  }

  update();
  loadItems();
  if (op.status === "PROCESSING") {
    ctx.every(POLL_MS, async () => {
      op = await get(`/v1/SenderPools/Operations/${enc(id)}`, null, ctx.signal);
      update();
      if (op.status !== "PROCESSING") {
        loadItems();
        return false;
      }
      return true;
    });
  }
}

