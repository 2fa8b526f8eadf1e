// One pool: its details and summary, members (channel, status and order filters), adding senders, removing
// them (one, or a selection in one Remove Senders operation), deletion protection, its operations, and
// "Try a recipient": which sender Resolve picks for an address, and why.

import { addressRules, credentials, del, get, OPERATION_TYPES, page, post, summary } from "../api.js";
import { CHANNELS, chunks, parseEntries, registerSenders, registrations, resolveEntries } from "../csv.js";
import { describe } from "../events.js";
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
  orderSelect,
  pill,
  replace,
  select,
  tagList,
  time,
  toast,
} from "../dom.js";
import { failureReport, rowList } from "./imports.js";
import { operationCard, operationHref, watchOperations } from "./operations.js";
import { deletePool, poolDialog, poolName, protectedBadge, setProtection } from "./pools.js";

const enc = encodeURIComponent;
const PAGE_SIZE = 50;
const ADD_CHUNK = 1000; // senders per Add Senders request (the API takes up to 10,000)
const REMOVE_CHUNK = 10000; // senders per Remove Senders request
const OPERATIONS_SHOWN = 10;
const EVENTS_PAGE = 20;

// -- try a recipient -------------------------------------------------------------------------------------------
const STICKINESS = [
  ["NONE", "Not sticky"],
  ["POOL", "Sticky in this pool"],
  ["ACCOUNT", "Sticky across pools"],
];

/**
 * A form that asks Resolve which of the pool's senders reaches one recipient, with the options of
 * POST /v1/Senders/Resolve, and shows each choice's reasons and why the other candidates lost. A dry
 * run unless "Remember the choice" is ticked (then it becomes the recipient's sticky sender).
 */
function tryRecipientPanel(ctx, p) {
  const address = h("input", { type: "text", name: "recipient", placeholder: "+14155550123", spellcheck: "false", autocomplete: "off" });
  const channel = select("recipientChannel", [["PHONE", "Phone (SMS, RCS, WhatsApp)"], ...CHANNELS.map((c) => [c, c])], "PHONE");
  const stickiness = select("stickiness", STICKINESS, "NONE");
  const option = (name, label, checked = false) => {
    const box = h("input", { type: "checkbox", name, checked });
    return [box, h("label.checkbox", box, h("span", label))];
  };
  const [geo, geoLabel] = option("geoMatch", "Match the area code, time zone or country", true);
  const [skip, skipLabel] = option("skipUnhealthy", "Skip unhealthy senders", true);
  const [remember, rememberLabel] = option("remember", "Remember the choice (otherwise a dry run)");
  const output = h("div.try-output", { "aria-live": "polite" });
  const submit = h("button.btn.btn-primary", { type: "submit" }, "Try");
  const form = h(
    "form.try-form",
    {
      novalidate: true,
      async onsubmit(event) {
        event.preventDefault();
        if (!address.value.trim()) {
          replace(output, errorBox(new Error("Enter a phone number, e-mail address or push token."), "Nothing to try"));
          return;
        }
        submit.disabled = true;
        replace(output, loadingBlock("Resolving…"));
        try {
          const body = {
            recipientAddresses: [{ address: address.value.trim(), channel: channel.value }],
            senderPoolId: p.id,
            geoMatch: geo.checked,
            stickiness: stickiness.value,
            skipUnhealthy: skip.checked,
            explain: true,
            dryRun: !remember.checked,
          };
          showResolution(output, await post("/v1/Senders/Resolve", body, ctx.signal));
        } catch (error) {
          replace(output, errorBox(error, "Resolve failed"));
        } finally {
          submit.disabled = false;
        }
      },
    },
    h("div.try-inputs", field("Recipient", address), field("Reach by", channel), field("Stickiness", stickiness)),
    h("div.try-options", geoLabel, skipLabel, rememberLabel),
    h("div.dialog-actions", submit),
  );
  // Folded until asked for: the members come first on this page.
  return h("details.section.try-section", h("summary", h("h2", "Try a recipient"), h("span.muted", " which sender Resolve picks, and why")), form, output);
}

function showResolution(output, answer) {
  const explained = (answer.recipients || [])[0];
  if (!answer.results.length) {
    replace(output, emptyState({ iconName: "search", title: "No sender reaches this recipient", text: "No ACTIVATED member of this pool is on a channel that reaches it (or every one is unhealthy)." }));
    return;
  }
  const rows = answer.results.map((r) =>
    h(
      "tr",
      h("td", String(r.priority)),
      h("td", channelBadge(r.from.channel)),
      h("td", h("div.address", r.from.address), h("div.sub.mono-small", r.from.senderId)),
      h("td", h("ol.reasons", (r.reasons || []).map((reason) => h("li", h("code", reason.code), " ", reason.message)))),
    ),
  );
  const lost = (explained?.lost || []).map((loss) =>
    h("li", h("strong", fmt.plural(loss.count, "sender", "senders")), ` on ${loss.channel}: `, h("code", loss.reason), " ", loss.message),
  );
  replace(
    output,
    h("div.table-wrap", h("table.table.try-table", h("thead", h("tr", h("th", "Priority"), h("th", "Channel"), h("th", "Sender"), h("th", "Why"))), h("tbody", rows))),
    h(
      "div.try-lost",
      h("h3", `Why the other ${fmt.plural((explained?.candidates || 1) - answer.results.length, "candidate", "candidates")} lost`),
      lost.length ? h("ul", lost) : h("p.muted", "There were no other candidates."),
    ),
  );
}

// -- add senders ---------------------------------------------------------------------------------------------
function addSendersDialog(ctx, p, onStarted) {
  const text = h("textarea", {
    name: "entries",
    rows: "6",
    spellcheck: "false",
    placeholder: "comms_sender_01hv…\n+14155550100\nsupport@example.com",
  });
  const file = h("input", { type: "file", name: "csv", accept: ".csv,text/csv,text/plain" });
  const register = h("input", { type: "checkbox", name: "register", checked: true });
  const review = h("div.review");
  let plan = null; // {ids, toRegister, missing, invalid, duplicates}
  const operations = []; // Add Senders operations started

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
      let toRegister = [];
      let unregisterable = [];
      let duplicates = resolved.duplicates;
      if (register.checked) {
        // checked here with the server's own address rules, so a bad row is known before anything is sent
        const checked = registrations(resolved.missing, await addressRules());
        toRegister = checked.senders;
        unregisterable = checked.problems;
        duplicates = [...duplicates, ...checked.duplicates];
      }
      const missing = register.checked ? [] : resolved.missing.map((e) => ({ ...e, reason: "is not in the inventory" }));
      plan = { ids: resolved.ids, toRegister, missing, invalid: [...resolved.invalid, ...unregisterable], duplicates };
    } catch (error) {
      replace(review, errorBox(error, "The senders could not be looked up"));
      return;
    }
    const total = plan.ids.length + plan.toRegister.length;
    replace(
      review,
      h(
        `div.review-summary${total ? "" : ".review-empty"}`,
        h("div.review-stat", h("strong", fmt.number(plan.ids.length)), " found in the inventory"),
        plan.toRegister.length ? h("div.review-stat", h("strong", fmt.number(plan.toRegister.length)), " new, to be registered first") : null,
        plan.missing.length ? h("div.review-stat.warn", h("strong", fmt.number(plan.missing.length)), " not in the inventory (skipped)") : null,
        plan.invalid.length ? h("div.review-stat.warn", h("strong", fmt.number(plan.invalid.length)), " not valid (skipped)") : null,
        plan.duplicates.length ? h("div.review-stat.warn", h("strong", fmt.number(plan.duplicates.length)), " repeated (skipped)") : null,
      ),
      rowList(`${fmt.plural(plan.missing.length, "address", "addresses")} not in the inventory`, plan.missing),
      plan.invalid.length ? failureReport(plan.invalid.map((e) => ({ ...e, text: e.text || e.address || e.senderId })), `${fmt.plural(plan.invalid.length, "row")} not valid`) : null,
      rowList(`${fmt.plural(plan.duplicates.length, "row")} repeated in the input`, plan.duplicates),
    );
    if (total) {
      replace(addButton, icon("plus"), `Add ${fmt.plural(total, "sender")}`);
      addButton.hidden = false;
    }
    review.closest("form").classList.toggle("reviewed", Boolean(total));
  }

  /** Register the new rows (the good ones, whatever else fails), then add every sender found or registered. */
  async function apply(close) {
    const form = review.closest("form");
    const buttons = [...form.querySelectorAll("button")];
    buttons.forEach((b) => (b.disabled = true));
    const status = h("p.muted");
    replace(review, loadingBlock(plan.toRegister.length ? `Registering ${fmt.plural(plan.toRegister.length, "sender")}…` : "Adding…"), status);
    const done = await registerSenders(plan.toRegister, {
      signal: ctx.signal,
      progress: (n, total) => replace(status, `${fmt.number(n)} of ${fmt.number(total)} registered`),
    });
    const failed = [...plan.invalid, ...done.failed];
    const unique = [...new Set([...plan.ids, ...done.created.map((c) => c.sender.id)])];
    let added = 0;
    let addError = null;
    for (const chunk of chunks(unique, ADD_CHUNK)) {
      try {
        const ref = await post(`/v1/SenderPools/${enc(p.id)}/Senders`, chunk.map((senderId) => ({ senderId })), ctx.signal);
        operations.push(ref.operationId);
        added += chunk.length;
      } catch (error) {
        addError = error;
        break;
      }
    }
    if (operations.length) onStarted(operations);
    const parts = [];
    if (done.created.length) parts.push(`${fmt.plural(done.created.length, "sender")} registered`);
    parts.push(`${fmt.plural(added, "sender")} being added to the pool`);
    if (failed.length) parts.push(`${fmt.plural(failed.length, "row")} failed`);
    if (plan.duplicates.length) parts.push(`${fmt.plural(plan.duplicates.length, "repeated row")} skipped`);
    const outcome = `${parts.join(", ")}.`;
    if (!failed.length && !addError) {
      toast(outcome);
      close(operations);
      return;
    }
    const notAdded = unique.length - added;
    replace(
      review,
      h(
        `div.alert.${added ? "alert-warning" : "alert-error"}`,
        { role: "alert" },
        icon("alert"),
        h(
          "div",
          h("strong.import-outcome", outcome),
          addError ? h("p", `${fmt.plural(notAdded, "sender")} ${notAdded === 1 ? "was" : "were"} not added to the pool: ${addError.message || addError.title}`) : null,
        ),
      ),
      failureReport(failed, `${fmt.plural(failed.length, "row")} not registered`),
      rowList(`${fmt.plural(plan.duplicates.length, "row")} repeated in the input (skipped)`, plan.duplicates),
    );
    for (const b of buttons) b.hidden = true;
    const finish = button("Done", { variant: "primary", onclick: () => close(operations) });
    form.querySelector(".dialog-actions").append(finish);
    plan = null;
  }
}

// -- activity ------------------------------------------------------------------------------------------------
/**
 * The pool's events, newest first (GET /v1/Events?senderPoolId=pool): created, updated, members added or
 * removed (one per worker batch), its operations queued, completed or canceled. Returns {el, load()}; load() shows the first page again.
 */
function activitySection(ctx, p) {
  const body = h("div");
  const footer = h("div.list-footer");
  const tbody = h("tbody");
  const filters = { senderPoolId: p.id, order: "newest" };
  const me = credentials()?.sid;
  let next = null;

  const row = (event) =>
    h(
      "tr",
      { dataset: { eventId: event.id, type: event.type } },
      h("td", time(event.time)),
      h(
        "td",
        h("div.event-what", describe(event)),
        event.data?.operationId ? h("div.sub", h("a.mono-small", { href: operationHref(event.data.operationId, p.id) }, event.data.operationId)) : null,
      ),
      h("td", h("span.mono-small", { title: event.actor }, event.actor), event.actor === me ? h("span.muted", " (you)") : null),
    );

  function renderFooter() {
    replace(
      footer,
      next
        ? button("Load more", {
            async onclick(event) {
              event.currentTarget.disabled = true;
              const more = await page("/v1/Events", "events", filters, next, EVENTS_PAGE, ctx.signal);
              next = more.next;
              tbody.append(...more.items.map(row));
              renderFooter();
            },
          })
        : null,
    );
  }

  async function load() {
    let first;
    try {
      first = await page("/v1/Events", "events", filters, null, EVENTS_PAGE, ctx.signal);
    } catch (error) {
      if (error.name !== "AbortError") replace(body, errorBox(error, "The activity could not be loaded"));
      return;
    }
    next = first.next;
    replace(tbody, first.items.map(row));
    replace(
      body,
      first.items.length
        ? h("div.table-wrap", h("table.table.activity-table", h("thead", h("tr", h("th", "When"), h("th", "What"), h("th", "Who"))), tbody))
        : emptyState({ iconName: "operations", title: "No activity recorded", text: "Events are kept for a limited time (30 days by default)." }),
    );
    renderFooter();
  }

  const el = h(
    "section.section.activity-section",
    h("div.section-head", h("h2", "Activity"), h("span.muted", "Newest first")),
    body,
    footer,
  );
  replace(body, loadingBlock("Loading activity…"));
  return { el, load };
}

// -- the page --------------------------------------------------------------------------------------------------
/** "SMS 3 · EMAIL 1 · 1 deactivated": the summary's non-zero figures. */
function breakdown(found) {
  const parts = Object.entries(found.byChannel)
    .filter(([, n]) => n)
    .map(([channel, n]) => `${channel} ${fmt.number(n)}`);
  if (found.byStatus.DEACTIVATED) parts.push(`${fmt.number(found.byStatus.DEACTIVATED)} deactivated`);
  if (found.processingOperations) parts.push(`${fmt.plural(found.processingOperations, "operation")} running`);
  return parts.join(" · ");
}

export async function poolPage(ctx) {
  const [id] = ctx.params;
  replace(ctx.main, h("div.page", loadingBlock("Loading the pool…")));
  let p;
  try {
    p = await get(`/v1/SenderPools/${enc(id)}`, null, ctx.signal);
  } catch (error) {
    if (error.status !== 404) throw error;
    replace(
      ctx.main,
      h(
        "div.page",
        h("nav.breadcrumb", h("a", { href: "#/pools" }, "Pools"), h("span", "/"), h("span.mono-small", id)),
        emptyState({
          iconName: "pools",
          title: "This pool no longer exists",
          text: "It was deleted, or the link names a pool of another account. Its senders stay in your inventory.",
          actions: [h("a.btn.btn-primary", { href: "#/pools" }, "Back to pools"), h("a.btn", { href: `#/operations?pool=${enc(id)}&range=` }, "Its operations")],
        }),
      ),
    );
    return;
  }

  const channel = select("channel", [["", "All channels"], ...CHANNELS.map((c) => [c, c])], ctx.query.get("channel") || "");
  const status = select("status", [["", "Any status"], ["ACTIVATED", "Activated"], ["DEACTIVATED", "Deactivated"]], ctx.query.get("status") || "");
  const order = orderSelect(ctx.query.get("order") || "", "newest");
  channel.setAttribute("aria-label", "Channel");
  status.setAttribute("aria-label", "Status");
  const countSlot = h("span.count");
  const breakdownSlot = h("p.muted.member-breakdown");
  const protectionSlot = h("span");
  const actionsSlot = h("div.actions");
  const membersBody = h("div");
  const membersFooter = h("div.list-footer");
  const selectionBar = h("div.selection-bar", { hidden: true });
  const opsSection = h("section.section.ops-section");
  const addSenders = () => addSendersDialog(ctx, p, () => loadOperations());
  const activity = activitySection(ctx, p);

  function renderHeader() {
    replace(protectionSlot, protectedBadge(p));
    const protect = !p.deletionProtection;
    replace(
      actionsSlot,
      button("Edit", { onclick: async () => (await poolDialog(ctx, p)) && ctx.refresh() }, "edit"),
      button(protect ? "Protect from deletion" : "Allow deletion", {
        "aria-pressed": String(!protect),
        async onclick() {
          p = await setProtection(ctx, p, protect);
          renderHeader();
          activity.load();
        },
      }, "lock"),
      button("Delete", {
        variant: "danger-outline",
        disabled: p.deletionProtection,
        title: p.deletionProtection ? "Deletion protection is on: allow deletion first." : null,
        onclick: async () => (await deletePool(ctx, p)) && ctx.navigate("/pools"),
      }, "trash"),
    );
  }

  replace(
    ctx.main,
    h(
      "div.page",
      h("nav.breadcrumb", h("a", { href: "#/pools" }, "Pools"), h("span", "/"), h("span", p.name || "Untitled pool")),
      h(
        "header.page-header",
        h(
          "div",
          h("h1", poolName(p), protectionSlot),
          h("div.meta", mono(p.id), copyButton(p.id, "Copy pool ID")),
          h("div.meta", Object.keys(p.tags).length ? [tagList(p.tags), h("span.dot", "·")] : null, "created ", time(p.createdAt), h("span.dot", "·"), "updated ", time(p.updatedAt)),
        ),
        actionsSlot,
      ),
      opsSection,
      tryRecipientPanel(ctx, p),
      h(
        "section.section",
        h("div.section-head", h("h2", "Members ", countSlot), button("Add senders", { variant: "primary", onclick: addSenders }, "plus")),
        breakdownSlot,
        h("div.toolbar", h("div.filters", channel, status, order)),
        selectionBar,
        membersBody,
        membersFooter,
      ),
      activity.el,
    ),
  );
  renderHeader();

  // members
  const filters = { channel: channel.value, status: status.value, order: order.value };
  const filtered = Boolean(filters.channel || filters.status);
  const onFilter = () => {
    const q = new URLSearchParams();
    for (const control of [channel, status, order]) if (control.value) q.set(control.name, control.value);
    ctx.navigate(`/pools/${enc(p.id)}${q.size ? `?${q}` : ""}`);
  };
  for (const control of [channel, status, order]) control.addEventListener("change", onFilter);

  let next = null;
  const selected = new Map(); // sender id -> sender, for bulk removal
  const tbody = h("tbody");
  const selectAll = h("input", {
    type: "checkbox",
    "aria-label": "Select every loaded member",
    onchange() {
      for (const box of tbody.querySelectorAll("input[type=checkbox]")) {
        box.checked = selectAll.checked;
        box.dispatchEvent(new Event("change"));
      }
    },
  });

  function renderSelection() {
    selectionBar.hidden = !selected.size;
    replace(
      selectionBar,
      h("span", `${fmt.plural(selected.size, "member")} selected`),
      button(`Remove ${fmt.plural(selected.size, "sender")}`, { variant: "danger-outline small", onclick: removeSelected }, "trash"),
      button("Clear selection", { variant: "ghost small", onclick: clearSelection }),
    );
  }

  function clearSelection() {
    selected.clear();
    for (const box of tbody.querySelectorAll("input[type=checkbox]")) box.checked = false;
    selectAll.checked = false;
    renderSelection();
  }

  async function removeSelected() {
    const senders = [...selected.values()];
    const ok = await confirmDialog({
      title: `Remove ${fmt.plural(senders.length, "sender")}?`,
      message: h("p", `${fmt.plural(senders.length, "sender")} leave this pool in the background (one Remove Senders operation). They stay in your inventory and in any other pool.`),
      confirmLabel: "Remove",
      danger: true,
    });
    if (!ok) return;
    for (const chunk of chunks(senders, REMOVE_CHUNK)) {
      await post(`/v1/SenderPools/${enc(p.id)}/Senders/Remove`, chunk.map((s) => ({ senderId: s.id })), ctx.signal);
    }
    toast(`Removing ${fmt.plural(senders.length, "sender")} from the pool…`);
    clearSelection();
    loadOperations();
  }

  const memberRow = (s) =>
    h(
      "tr",
      { dataset: { senderId: s.id } },
      h(
        "td.col-select",
        h("input", {
          type: "checkbox",
          "aria-label": `Select ${s.address}`,
          onchange(event) {
            if (event.target.checked) selected.set(s.id, s);
            else selected.delete(s.id);
            renderSelection();
          },
        }),
      ),
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
              selected.delete(s.id);
              renderSelection();
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
    clearSelection();
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
        h(
          "table.table.members-table",
          h("thead", h("tr", h("th.col-select", selectAll), h("th", "Address"), h("th", "Display name"), h("th", "Channel"), h("th", "Status"), h("th.col-actions", h("span.sr-only", "Actions")))),
          tbody,
        ),
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
              selectAll.checked = false;
              renderFooter();
            },
          })
        : null,
    );
  }

  async function refreshCount() {
    try {
      const found = await summary(p.id, ctx.signal);
      const total = fmt.number(found.senderCount);
      replace(countSlot, filtered ? `${total} in total` : total);
      replace(breakdownSlot, breakdown(found));
    } catch {
      replace(countSlot);
      replace(breakdownSlot);
    }
  }

  // operations: the pool's own, newest first (the list filters by pool; each shows its type)
  async function loadOperations() {
    let list;
    try {
      list = await page("/v1/SenderPools/Operations", "operations", { senderPoolId: p.id, order: "newest" }, null, OPERATIONS_SHOWN, ctx.signal);
    } catch (error) {
      if (error.name === "AbortError") return;
      replace(opsSection, h("h2", "Operations"), errorBox(error));
      return;
    }
    if (!list.items.length) {
      replace(opsSection);
      return;
    }
    const cards = list.items.map((op) => {
      const card = operationCard(op, { label: OPERATION_TYPES[op.type] || "Operation", poolId: p.id });
      return { op, update: card.update, el: card.el };
    });
    replace(opsSection, h("div.section-head", h("h2", "Operations"), h("a.muted", { href: `#/operations?pool=${enc(p.id)}` }, "All of this pool's operations →")), h("div.op-list", cards.map((c) => c.el)));
    watchOperations(ctx, cards, () => {
      loadMembers();
      refreshCount();
      activity.load();
    });
    refreshCount();
  }

  refreshCount();
  loadOperations();
  activity.load();
  await loadMembers();
}
