// One pool: its details, members (channel and status filters), adding and removing senders, its operations.

import { del, get, page, post, rememberedOperations, rememberOperation, walk } from "../api.js";
import { CHANNELS, chunks, parseEntries, registrations, resolveEntries } from "../csv.js";
import {
  append,
  button,
  channelBadge,
  confirmDialog,
  copyButton,
  emptyState,
  errorBox,
  field,
  fmt,
  h,
  icon,
  loadingBlock,
  mono,
  openDialog,
  pill,
  pool as limit,
  replace,
  select,
  tagList,
  time,
  toast,
} from "../dom.js";
import { operationCard, watchOperations } from "./operations.js";
import { deletePool, memberCount, poolDialog, poolName } from "./pools.js";

const enc = encodeURIComponent;
const PAGE_SIZE = 50;
const ADD_CHUNK = 1000; // senders per Add Senders request (the API takes up to 10,000)
const REGISTER_CHUNK = 1000;
const OPERATIONS_SCANNED = 1000; // account operations since the pool's creation that are listed
const OPERATIONS_PROBED = 100; // of those, the most recent ones checked against this pool
const OPERATIONS_SHOWN = 10;

// -- operations of this pool ------------------------------------------------------------------------------
/**
 * The pool's operations, newest first. The API lists operations account-wide, so this reads the most
 * recent ones created since the pool was (plus those started from this tab) and keeps those the
 * pool-scoped operation URL answers for (it is a 404 for another pool's operation).
 */
async function poolOperations(p, signal) {
  const known = new Map(rememberedOperations(p.id).map((o) => [o.id, o.kind]));
  let { items, truncated } = await walk("/v1/SenderPools/Operations", "operations", { startDate: p.createdAt }, OPERATIONS_SCANNED, signal);
  if (truncated) {
    // A busy account: the list is oldest first, so look at the last day only.
    const dayAgo = new Date(Date.now() - 86400_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    ({ items } = await walk("/v1/SenderPools/Operations", "operations", { startDate: dayAgo }, OPERATIONS_SCANNED, signal));
  }
  const candidates = items.reverse().filter((op, i) => i < OPERATIONS_PROBED || known.has(op.id));
  const mine = [];
  await limit(candidates, 6, async (op) => {
    try {
      await get(`/v1/SenderPools/${enc(p.id)}/Senders/Operations/${enc(op.id)}`, null, signal);
      mine.push(op);
    } catch (error) {
      if (error.status !== 404) throw error;
    }
  });
  mine.sort((a, b) => (a.id < b.id ? 1 : -1));
  return mine.slice(0, OPERATIONS_SHOWN).map((op) => ({ op, kind: known.get(op.id) || (op.id === mine[mine.length - 1]?.id && op.createdAt === p.createdAt ? "Create pool" : "Add senders") }));
}

// -- add senders ---------------------------------------------------------------------------------------------
function addSendersDialog(ctx, p) {
  const text = h("textarea", {
    name: "entries",
    rows: "6",
    spellcheck: "false",
    placeholder: "comms_sender_01hv…\n+14155550100\nsupport@example.com",
  });
  const file = h("input", { type: "file", name: "csv", accept: ".csv,text/csv,text/plain" });
  const register = h("input", { type: "checkbox", name: "register", checked: true });
  const review = h("div.review");
  let plan = null; // {ids, toRegister, missing, invalid}

  return openDialog(
    `Add senders to ${p.name || "this pool"}`,
    (body, close) => {
      const reviewButton = h("button.btn.btn-primary.review-button", { type: "submit" }, "Review");
      const addButton = button("Add senders", { variant: "primary", hidden: true, onclick: () => apply(close) });
      const fileName = h("span.muted.file-name", "No file chosen");
      const form = h(
        "form",
        {
          novalidate: true,
          async onsubmit(event) {
            event.preventDefault();
            reviewButton.disabled = true;
            try {
              await prepare(addButton);
            } finally {
              reviewButton.disabled = false;
            }
          },
        },
        field("Sender IDs or addresses", text, "One per line or comma-separated. Addresses are looked up in your inventory (phone numbers match SMS, RCS and WhatsApp senders)."),
        h(
          "div.field",
          h("span.label", "Or upload a CSV"),
          h("label.file-drop", icon("upload"), h("span", "Choose a CSV file"), file, fileName),
          h("p.hint", "With a header row: a senderId column, or address and channel columns (displayName, status and tags as k=v;k=v optional)."),
        ),
        h("label.checkbox", register, h("span", "Register addresses that are not in the inventory yet (needs their channel)")),
        review,
        h("div.dialog-actions", button("Cancel", { onclick: () => close(null) }), reviewButton, addButton),
      );
      file.addEventListener("change", async () => {
        const chosen = file.files[0];
        replace(fileName, chosen ? chosen.name : "No file chosen");
        if (chosen) text.value = await chosen.text();
        addButton.hidden = true;
        form.classList.remove("reviewed");
        replace(review);
      });
      text.addEventListener("input", () => {
        addButton.hidden = true;
        form.classList.remove("reviewed");
        replace(review);
      });
      append(body, [form]);
    },
    { wide: true },
  );

  async function prepare(addButton) {
    addButton.hidden = true;
    const entries = parseEntries(text.value);
    if (!entries.length) {
      replace(review, errorBox(new Error("Paste sender IDs or addresses, or choose a CSV file."), "Nothing to add"));
      return;
    }
    replace(review, loadingBlock(`Looking up ${fmt.plural(entries.length, "entry", "entries")}…`));
    try {
      const resolved = await resolveEntries(entries, ctx.signal);
      const { senders: toRegister, problems } = register.checked ? registrations(resolved.missing) : { senders: [], problems: [] };
      const unregisterable = new Map(problems.map((x) => [x.entry, x.reason]));
      const missing = register.checked
        ? resolved.missing.filter((e) => unregisterable.has(e)).map((e) => ({ ...e, reason: unregisterable.get(e) }))
        : resolved.missing;
      plan = { ids: resolved.ids, toRegister, missing, invalid: resolved.invalid };
    } catch (error) {
      replace(review, errorBox(error, "The senders could not be looked up"));
      return;
    }
    const total = plan.ids.length + plan.toRegister.length;
    const problemList = (title, list) =>
      list.length
        ? h("details.review-problems", { open: list.length <= 5 }, h("summary", title), h("ul", list.slice(0, 100).map((e) => h("li", mono(e.address || e.senderId), e.reason ? ` ${e.reason}` : "", h("span.muted", ` (line ${e.line})`)))))
        : null;
    replace(
      review,
      h(
        `div.review-summary${total ? "" : ".review-empty"}`,
        h("div.review-stat", h("strong", fmt.number(plan.ids.length)), " found in the inventory"),
        plan.toRegister.length ? h("div.review-stat", h("strong", fmt.number(plan.toRegister.length)), " new, to be registered first") : null,
        plan.missing.length ? h("div.review-stat.warn", h("strong", fmt.number(plan.missing.length)), " not in the inventory (skipped)") : null,
        plan.invalid.length ? h("div.review-stat.warn", h("strong", fmt.number(plan.invalid.length)), " not understood (skipped)") : null,
      ),
      problemList(`${fmt.plural(plan.missing.length, "address", "addresses")} not in the inventory`, plan.missing),
      problemList(`${fmt.plural(plan.invalid.length, "entry", "entries")} not understood`, plan.invalid),
    );
    if (total) {
      replace(addButton, icon("plus"), `Add ${fmt.plural(total, "sender")}`);
      addButton.hidden = false;
    }
    review.closest("form").classList.toggle("reviewed", Boolean(total));
  }

  async function apply(close) {
    const buttons = [...review.closest("form").querySelectorAll("button")];
    buttons.forEach((b) => (b.disabled = true));
    const ids = [...plan.ids];
    try {
      for (const chunk of chunks(plan.toRegister, REGISTER_CHUNK)) {
        const created = await post("/v1/Senders", chunk.map((x) => x.sender), ctx.signal);
        ids.push(...created.senders.map((s) => s.id));
      }
      const unique = [...new Set(ids)];
      const operations = [];
      for (const chunk of chunks(unique, ADD_CHUNK)) {
        const ref = await post(`/v1/SenderPools/${enc(p.id)}/Senders`, chunk.map((senderId) => ({ senderId })), ctx.signal);
        rememberOperation(p.id, ref.operationId, "Add senders");
        operations.push(ref.operationId);
      }
      toast(`Adding ${fmt.plural(unique.length, "sender")} to the pool…`);
      close(operations);
    } catch (error) {
      replace(review, errorBox(error, "The senders were not added"));
      buttons.forEach((b) => (b.disabled = false));
    }
  }
}

// -- the page --------------------------------------------------------------------------------------------------
export async function poolPage(ctx) {
  const [id] = ctx.params;
  replace(ctx.main, h("div.page", loadingBlock("Loading the pool…")));
  const p = await get(`/v1/SenderPools/${enc(id)}`, null, ctx.signal);

  const channel = select("channel", [["", "All channels"], ...CHANNELS.map((c) => [c, c])], ctx.query.get("channel") || "");
  const status = select("status", [["", "Any status"], ["ACTIVATED", "Activated"], ["DEACTIVATED", "Deactivated"]], ctx.query.get("status") || "");
  channel.setAttribute("aria-label", "Channel");
  status.setAttribute("aria-label", "Status");
  const countSlot = h("span.count");
  const membersBody = h("div");
  const membersFooter = h("div.list-footer");
  const opsSection = h("section.section.ops-section");
  const addSenders = async () => {
    const started = await addSendersDialog(ctx, p);
    if (started) loadOperations(started);
  };

  replace(
    ctx.main,
    h(
      "div.page",
      h("nav.breadcrumb", h("a", { href: "#/pools" }, "Pools"), h("span", "/"), h("span", p.name || "Untitled pool")),
      h(
        "header.page-header",
        h(
          "div",
          h("h1", poolName(p)),
          h("div.meta", mono(p.id), copyButton(p.id, "Copy pool ID")),
          h("div.meta", Object.keys(p.tags).length ? [tagList(p.tags), h("span.dot", "·")] : null, "created ", time(p.createdAt), h("span.dot", "·"), "updated ", time(p.updatedAt)),
        ),
        h(
          "div.actions",
          button("Edit", { onclick: async () => (await poolDialog(ctx, p)) && ctx.refresh() }, "edit"),
          button("Delete", { variant: "danger-outline", onclick: async () => (await deletePool(ctx, p)) && ctx.navigate("/pools") }, "trash"),
        ),
      ),
      opsSection,
      h(
        "section.section",
        h("div.section-head", h("h2", "Members ", countSlot), button("Add senders", { variant: "primary", onclick: addSenders }, "plus")),
        h("div.toolbar", h("div.filters", channel, status)),
        membersBody,
        membersFooter,
      ),
    ),
  );

  // members
  const filters = { channel: channel.value, status: status.value };
  const filtered = Boolean(filters.channel || filters.status);
  const onFilter = () => {
    const q = new URLSearchParams();
    if (channel.value) q.set("channel", channel.value);
    if (status.value) q.set("status", status.value);
    ctx.navigate(`/pools/${enc(p.id)}${q.size ? `?${q}` : ""}`);
  };
  channel.addEventListener("change", onFilter);
  status.addEventListener("change", onFilter);

  let next = null;
  const tbody = h("tbody");
  const memberRow = (s) =>
    h(
      "tr",
      { dataset: { senderId: s.id } },
      h("td", h("div.address", s.address), h("div.sub.mono-small", s.id)),
      h("td", s.displayName || h("span.muted", "—")),
      h("td", channelBadge(s.channel)),
      h("td", pill(s.status)),
      h(
        "td.col-actions",
        button("Remove", {
          variant: "ghost small",
          "aria-label": `Remove ${s.address}`,
          async onclick(event) {
            const ok = await confirmDialog({
              title: "Remove this sender?",
              message: h("p", h("strong", s.address), ` (${s.channel}) leaves this pool. It stays in your inventory and in any other pool.`),
              confirmLabel: "Remove",
              danger: true,
            });
            if (!ok) return;
            try {
              await del(`/v1/SenderPools/${enc(p.id)}/Senders/${enc(s.id)}`, ctx.signal);
              event.target.closest("tr").remove();
              toast(`${s.address} removed from the pool.`);
              refreshCount();
            } catch (error) {
              toast(error.message, "error");
            }
          },
        }),
      ),
    );

  async function loadMembers() {
    replace(membersBody, loadingBlock("Loading members…"));
    replace(membersFooter);
    const first = await page(`/v1/SenderPools/${enc(p.id)}/Senders`, "senders", filters, null, PAGE_SIZE, ctx.signal);
    next = first.next;
    if (!first.items.length) {
      replace(
        membersBody,
        filtered
          ? emptyState({ iconName: "search", title: "No members match these filters", text: "Try another channel or status.", actions: [button("Clear filters", { onclick: () => ctx.navigate(`/pools/${enc(p.id)}`) })] })
          : emptyState({
              iconName: "senders",
              title: "This pool has no members yet",
              text: "Add senders by pasting their IDs or addresses, or upload a CSV. Senders must be in your inventory first (the CSV import can register them).",
              actions: [button("Add senders", { variant: "primary", onclick: addSenders }, "plus")],
            }),
      );
      return;
    }
    replace(tbody, first.items.map(memberRow));
    replace(
      membersBody,
      h(
        "div.table-wrap",
        h("table.table.members-table", h("thead", h("tr", h("th", "Address"), h("th", "Display name"), h("th", "Channel"), h("th", "Status"), h("th.col-actions", h("span.sr-only", "Actions")))), tbody),
      ),
    );
    renderFooter();
  }

  function renderFooter() {
    replace(
      membersFooter,
      next
        ? button("Load more", {
            async onclick(event) {
              event.currentTarget.disabled = true;
              const more = await page(`/v1/SenderPools/${enc(p.id)}/Senders`, "senders", filters, next, PAGE_SIZE, ctx.signal);
              next = more.next;
              tbody.append(...more.items.map(memberRow));
              renderFooter();
            },
          })
        : null,
    );
  }

  async function refreshCount() {
    try {
      const text = await memberCount(p.id, ctx.signal);
      replace(countSlot, filtered ? `${text} in total` : text);
    } catch {
      replace(countSlot);
    }
  }

  // operations
  async function loadOperations(startedIds = []) {
    let list;
    try {
      list = await poolOperations(p, ctx.signal);
    } catch (error) {
      if (error.name === "AbortError") return;
      replace(opsSection, h("h2", "Operations"), errorBox(error));
      return;
    }
    for (const opId of startedIds) {
      if (!list.some((x) => x.op.id === opId)) {
        const op = await get(`/v1/SenderPools/Operations/${enc(opId)}`, null, ctx.signal);
        list.unshift({ op, kind: "Add senders" });
      }
    }
    if (!list.length) {
      replace(opsSection);
      return;
    }
    const cards = list.map(({ op, kind }) => {
      const card = operationCard(op, { label: kind, poolId: p.id });
      return { op, update: card.update, el: card.el };
    });
    replace(opsSection, h("div.section-head", h("h2", "Operations"), h("a.muted", { href: "#/operations" }, "All operations →")), h("div.op-list", cards.map((c) => c.el)));
    watchOperations(ctx, cards, () => {
      loadMembers();
      refreshCount();
    });
    if (startedIds.length) {
      loadMembers();
      refreshCount();
    }
  }

  refreshCount();
  loadOperations();
  await loadMembers();
}
