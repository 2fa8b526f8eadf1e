// Operations: the account-wide list, one operation's live progress, and the widgets the pool page reuses.

import { ApiError, call, get, OPERATION_TYPES, page, serverFeatures, walk } from "../api.js";
import { sendersById, toCsv } from "../csv.js";
import {
  button,
  confirmDialog,
  downloadLink,
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
      h("div.op-heading", h("a.op-title", { href: operationHref(op.id, poolId), title: op.id }, label || "Operation"), h("span.muted.op-time", time(op.createdAt))),
      h("span.op-status", status),
    ),
    bar,
    h("div.op-card-foot", counts, pct),
  );
  function update(next) {
    replace(status, pill(next.status));
    bar.update(next.stats, next.status);
    replace(counts, statsLine(next.stats));
    replace(pct, percent(next.stats, next.status));
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
  const order = orderSelect(ctx.query.get("order") || "", "newest");
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
    replace(pct, percent(op.stats, op.status), h("span", op.status === "PROCESSING" ? "processing" : op.status === "CANCELED" ? `${fmt.number(op.stats.created)} of ${fmt.number(op.stats.total)} applied` : "done"));
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
    const ok = await confirmDialog({
      title: "Cancel this operation?",
      message: h(
        "div",
        h("p", `${fmt.plural(op.stats.queued, "item")} not yet applied will not be applied; they count as failed (CANCELED).`),
        h("p.muted", "Items already applied stay applied. This cannot be undone."),
      ),
      confirmLabel: "Cancel operation",
      cancelLabel: "Keep it running",
      danger: true,
    });
    if (!ok) return;
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

  // Both Cancel and the poll see the operation finish: the items are shown once, so a reader's page stays put.
  let itemsShown = false;
  function loadItems() {
    if (op.status === "PROCESSING") {
      replace(itemsSection, h("h2", "Per-item results"), h("p.muted", "Failures are listed here once the operation has finished."));
      return;
    }
    if (itemsShown) return;
    itemsShown = true;
    if (!op.stats.failed) {
      replace(itemsSection, h("h2", "Per-item results"), h("div.alert.alert-success", `All ${fmt.plural(op.stats.total, "item")} succeeded.`));
      return;
    }
    failedItems(ctx, op, itemsSection);
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


// -- failed items ------------------------------------------------------------------------------------------
const FAILED_OUTCOMES = ["SENDER_NOT_FOUND", "CANCELED"];
const ITEMS_PAGE = 50;
const ITEM_COLUMNS = ["senderId", "address", "channel", "outcome", "code", "message"];

/**
 * An operation's failed items, a page at a time (both failed outcomes, one after the other), each with
 * its sender's address looked up; "Export CSV" writes every failed item with its address.
 */
function failedItems(ctx, op, section) {
  const itemsPath = `/v1/SenderPools/Operations/${enc(op.id)}/Items`;
  const body = h("div");
  const pager = h("div.list-footer.pager");
  const exportSlot = h("span");
  const history = []; // the positions of the pages before this one, for "Previous"
  let here = { outcome: 0, token: null };
  let shownBefore = 0;

  async function show(position) {
    replace(body, loadingBlock("Loading the failed items…"));
    let { outcome, token } = position;
    let result = { items: [], next: null };
    // an outcome with no items (or none left) hands over to the next one
    for (;;) {
      result = await page(itemsPath, "items", { outcome: FAILED_OUTCOMES[outcome] }, token, ITEMS_PAGE, ctx.signal);
      if (result.items.length || outcome === FAILED_OUTCOMES.length - 1) break;
      outcome += 1;
      token = null;
    }
    here = { outcome, token };
    const following = result.next ? { outcome, token: result.next } : outcome < FAILED_OUTCOMES.length - 1 ? { outcome: outcome + 1, token: null } : null;
    const senders = await sendersById(result.items.map((i) => i.senderId).filter(Boolean), ctx.signal);
    replace(
      body,
      h(
        "div.table-wrap",
        h(
          "table.table.items-table",
          h("thead", h("tr", h("th", "Sender"), h("th", "Address"), h("th", "Outcome"), h("th", "Error"))),
          h(
            "tbody",
            result.items.map((item) => {
              const sender = item.senderId ? senders.get(item.senderId) : null;
              return h(
                "tr",
                h("td", item.senderId ? mono(item.senderId) : h("span.muted", "the pool")),
                h("td", sender ? [h("span.address", sender.address), " ", h("span.muted", sender.channel)] : h("span.muted", item.senderId ? "not in the inventory" : "—")),
                h("td", pill(item.outcome)),
                h("td", item.code ? h("span.muted", `${item.code} `) : null, item.message || ""),
              );
            }),
          ),
        ),
      ),
    );
    const first = shownBefore + 1;
    const last = shownBefore + result.items.length;
    replace(
      pager,
      h("span.muted", `${fmt.number(first)}–${fmt.number(last)} of ${fmt.number(op.stats.failed)}`),
      button("Previous", {
        variant: "small",
        disabled: !history.length,
        async onclick() {
          const back = history.pop();
          shownBefore -= back.count;
          await show(back.position);
        },
      }),
      button("Next", {
        variant: "small",
        disabled: !following || last >= op.stats.failed,
        async onclick() {
          history.push({ position: here, count: result.items.length });
          shownBefore += result.items.length;
          await show(following);
        },
      }),
    );
  }

  async function exportCsv(event) {
    const trigger = event.currentTarget;
    trigger.disabled = true;
    replace(exportSlot, h("span.muted", "Preparing…"));
    try {
      const items = [];
      for (const outcome of FAILED_OUTCOMES) items.push(...(await walk(itemsPath, "items", { outcome }, 1_000_000, ctx.signal)).items);
      const senders = await sendersById(items.map((i) => i.senderId).filter(Boolean), ctx.signal);
      const rows = items.map((item) => {
        const sender = senders.get(item.senderId) || {};
        return { ...item, address: sender.address, channel: sender.channel };
      });
      const link = downloadLink(`Download ${fmt.plural(rows.length, "failed item")} (CSV)`, `${op.id}-failed-items.csv`, toCsv(ITEM_COLUMNS, rows));
      replace(exportSlot, link);
      link.click();
    } catch (error) {
      replace(exportSlot);
      if (error.name !== "AbortError") toast(error.message, "error");
    } finally {
      trigger.disabled = false;
    }
  }

  replace(
    section,
    h("div.section-head", h("h2", "Failed items ", h("span.count", fmt.number(op.stats.failed))), h("div.actions", exportSlot, button("Export CSV", { variant: "small", onclick: exportCsv }, "download"))),
    body,
    pager,
  );
  show(here).catch((error) => {
    if (error.name === "AbortError") return;
    if (error instanceof ApiError && (error.status === 404 || error.status === 405)) replace(section); // no per-item endpoint: counts only
    else replace(body, errorBox(error));
  });
}
