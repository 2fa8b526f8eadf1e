// Senders: the account's inventory with filters, registering one, importing a CSV, activate / deactivate.

import { addressRules, page, patch, post } from "../api.js";
import { CHANNELS, guessChannel, parseEntries, registerSenders, registrations } from "../csv.js";
import {
  append,
  button,
  channelBadge,
  copyButton,
  emptyState,
  errorBox,
  field,
  fmt,
  h,
  icon,
  loadingBlock,
  openDialog,
  orderSelect,
  parseTags,
  pill,
  replace,
  select,
  tagList,
  time,
  toast,
} from "../dom.js";
import { failureReport, rowList } from "./imports.js";

const enc = encodeURIComponent;
const PAGE_SIZE = 50;

// -- dialogs ------------------------------------------------------------------------------------------------
function registerDialog(ctx) {
  const channel = select("channel", CHANNELS.map((c) => [c, c]), "SMS");
  const address = h("input", { name: "address", required: true, spellcheck: "false", placeholder: "+14155550100" });
  const displayName = h("input", { name: "displayName", maxlength: "256", placeholder: "Optional" });
  const status = select("status", [["ACTIVATED", "Activated"], ["DEACTIVATED", "Deactivated"]], "ACTIVATED");
  const tags = h("textarea", { name: "tags", rows: "2", placeholder: "region=us", spellcheck: "false" });
  const errors = h("div");
  const placeholders = { SMS: "+14155550100", RCS: "+14155550100", WHATSAPP: "+14155550100", EMAIL: "support@example.com", PUSH: "device or app identity" };
  channel.addEventListener("change", () => address.setAttribute("placeholder", placeholders[channel.value]));
  return openDialog("Register a sender", (body, close) => {
    const save = h("button.btn.btn-primary", { type: "submit" }, "Register sender");
    append(body, [
      h(
        "form",
        {
          novalidate: true,
          async onsubmit(event) {
            event.preventDefault();
            save.disabled = true;
            replace(errors);
            const request = { channel: channel.value, address: address.value.trim(), status: status.value, tags: parseTags(tags.value) };
            if (displayName.value.trim()) request.displayName = displayName.value.trim();
            try {
              const sender = await post("/v1/Senders", request, ctx.signal);
              toast(`${sender.address} registered.`);
              close(sender);
            } catch (error) {
              replace(errors, errorBox(error, "The sender was not registered"));
              save.disabled = false;
            }
          },
        },
        h("div.field-row", field("Channel", channel), field("Status", status)),
        field("Address", address, "SMS, RCS and WhatsApp take E.164 numbers; EMAIL an e-mail address; PUSH any identity up to 256 characters."),
        field("Display name", displayName),
        field("Tags", tags, "key=value, one per line or comma-separated."),
        errors,
        h("div.dialog-actions", button("Cancel", { onclick: () => close(null) }), save),
      ),
    ]);
  });
}

function importDialog(ctx) {
  const file = h("input", { type: "file", name: "csv", accept: ".csv,text/csv,text/plain" });
  const text = h("textarea", { name: "csv-text", rows: "6", spellcheck: "false", placeholder: "address,channel,displayName\n+14155550100,SMS,Support line\nhello@example.com,EMAIL," });
  const skip = h("input", { type: "checkbox", name: "skip-existing", checked: true });
  const result = h("div");
  const fileName = h("span.muted.file-name", "No file chosen");
  file.addEventListener("change", async () => {
    const chosen = file.files[0];
    replace(fileName, chosen ? chosen.name : "No file chosen");
    if (chosen) text.value = await chosen.text();
  });
  return openDialog(
    "Import senders from CSV",
    (body, close) => {
      const go = h("button.btn.btn-primary", { type: "submit" }, icon("upload"), "Import");
      let imported = null;
      append(body, [
        h(
          "form",
          {
            novalidate: true,
            async onsubmit(event) {
              event.preventDefault();
              if (imported) return close(imported); // "Done" after a report
              go.disabled = true;
              try {
                const done = await runImport(text.value, skip.checked, result, ctx);
                if (done && !done.failed) close(done);
                else if (done) {
                  imported = done; // the report stays on screen; the list refreshes on close
                  replace(go, "Done");
                }
              } finally {
                go.disabled = false;
              }
            },
          },
          h(
            "div.field",
            h("span.label", "CSV file"),
            h("label.file-drop", icon("upload"), h("span", "Choose a CSV file"), file, fileName),
            h("p.hint", "A header row with address and channel columns; displayName, status (ACTIVATED or DEACTIVATED) and tags (k=v;k=v) are optional."),
          ),
          field("Or paste CSV", text),
          h("label.checkbox", skip, h("span", "Skip rows whose channel and address are already registered")),
          result,
          h("div.dialog-actions", button("Cancel", { onclick: () => close(imported) }), go),
        ),
      ]);
    },
    { wide: true },
  );
}

/**
 * Register the CSV's good rows (chunked) and report the others by CSV line, with a failed-rows download.
 * Resolves with what happened ({registered, existing, failed}), or null when nothing was sent.
 */
async function runImport(csvText, skipExisting, result, ctx) {
  const entries = parseEntries(csvText).filter((e) => e.address);
  const { senders, problems, duplicates } = registrations(entries, await addressRules());
  if (!senders.length && !problems.length) {
    replace(result, errorBox(new Error("No rows with an address and channel were found. The first row must name the columns, e.g. address,channel."), "Nothing to import"));
    return null;
  }
  const status = h("p.muted");
  replace(result, loadingBlock(`Registering ${fmt.plural(senders.length, "sender")}…`), status);
  const done = await registerSenders(senders, {
    skipExisting,
    signal: ctx.signal,
    progress: (n, total) => replace(status, `${fmt.number(n)} of ${fmt.number(total)} rows sent`),
  });
  const failed = [...problems, ...done.failed];
  const registered = done.created.length;
  const parts = [`${fmt.plural(registered, "sender")} registered`];
  if (done.existing.length) parts.push(`${fmt.number(done.existing.length)} already existed`);
  if (duplicates.length) parts.push(`${fmt.plural(duplicates.length, "repeated row")} skipped`);
  if (failed.length) parts.push(`${fmt.plural(failed.length, "row")} failed`);
  const outcome = `${parts.join(", ")}.`;
  replace(
    result,
    h(
      `div.alert.${failed.length ? (registered ? "alert-warning" : "alert-error") : "alert-success"}`,
      { role: failed.length ? "alert" : "status" },
      icon(failed.length ? "alert" : "check"),
      h("div", h("strong.import-outcome", outcome), done.stopped ? h("p", `The import stopped: ${done.stopped.message || done.stopped.title}`) : null),
    ),
    failureReport(failed, `${fmt.plural(failed.length, "row")} not registered`),
    rowList(`${fmt.plural(duplicates.length, "row")} repeated in the file (skipped)`, duplicates),
  );
  if (!failed.length) toast(outcome);
  return { registered, existing: done.existing.length, failed: failed.length };
}

// -- the page ---------------------------------------------------------------------------------------------------
export async function sendersPage(ctx) {
  const channel = select("channel", [["", "All channels"], ...CHANNELS.map((c) => [c, c])], ctx.query.get("channel") || "");
  const status = select("status", [["", "Any status"], ["ACTIVATED", "Activated"], ["DEACTIVATED", "Deactivated"]], ctx.query.get("status") || "");
  const order = orderSelect(ctx.query.get("order") || "", "newest");
  channel.setAttribute("aria-label", "Channel");
  status.setAttribute("aria-label", "Status");
  const search = h("input.search-input", { type: "search", placeholder: "Filter loaded senders · Enter finds an exact address", "aria-label": "Search senders" });
  const summary = h("span.muted.toolbar-summary");
  const body = h("div");
  const footer = h("div.list-footer");
  const filters = { channel: channel.value, status: status.value, order: order.value };
  const filtered = Boolean(filters.channel || filters.status);

  const register = async () => (await registerDialog(ctx)) && ctx.refresh();
  const importCsv = async () => (await importDialog(ctx)) && ctx.refresh();
  replace(
    ctx.main,
    h(
      "div.page",
      h(
        "header.page-header",
        h("div", h("h1", "Senders"), h("p.subtitle", "Your inventory of phone numbers, e-mail addresses and push identities. Pools draw their members from here.")),
        h("div.actions", button("Import CSV", { onclick: importCsv }, "upload"), button("Register sender", { variant: "primary", onclick: register }, "plus")),
      ),
      h("div.toolbar", h("div.filters", channel, status, order), h("form.search", { onsubmit: lookup }, icon("search"), search), summary),
      body,
      footer,
    ),
  );
  const onFilter = () => {
    const q = new URLSearchParams();
    for (const control of [channel, status, order]) if (control.value) q.set(control.name, control.value);
    ctx.navigate(`/senders${q.size ? `?${q}` : ""}`);
  };
  for (const control of [channel, status, order]) control.addEventListener("change", onFilter);

  const loaded = [];
  let next = null;
  const tbody = h("tbody");
  const table = h(
    "div.table-wrap",
    h(
      "table.table",
      h("thead", h("tr", h("th", "Sender"), h("th", "Channel"), h("th", "Status"), h("th", "Tags"), h("th", "Registered"), h("th.col-actions", h("span.sr-only", "Actions")))),
      tbody,
    ),
  );
  const noMatch = h("div");

  function row(s) {
    const statusCell = h("td");
    const actionCell = h("td.col-actions");
    const tr = h(
      "tr",
      { dataset: { senderId: s.id } },
      h("td", h("div.address", s.address), h("div.sub", s.displayName ? h("span.display-name", s.displayName) : null, h("span.mono-small", { title: s.id }, `${s.id.slice(0, 17)}…${s.id.slice(-6)}`), copyButton(s.id, "Copy sender ID"))),
      h("td", channelBadge(s.channel)),
      statusCell,
      h("td", tagList(s.tags)),
      h("td", time(s.createdAt)),
      actionCell,
    );
    const show = () => {
      replace(statusCell, pill(s.status));
      const activate = s.status !== "ACTIVATED";
      replace(
        actionCell,
        button(activate ? "Activate" : "Deactivate", {
          variant: activate ? "small" : "ghost small",
          "aria-label": `${activate ? "Activate" : "Deactivate"} ${s.address}`,
          async onclick(event) {
            event.currentTarget.disabled = true;
            try {
              Object.assign(s, await patch(`/v1/Senders/${enc(s.id)}`, { status: activate ? "ACTIVATED" : "DEACTIVATED" }, ctx.signal));
              toast(`${s.address} ${activate ? "activated" : "deactivated"}.`);
              show();
              if (filters.status && filters.status !== s.status) tr.classList.add("stale");
            } catch (error) {
              toast(error.message, "error");
              show();
            }
          },
        }),
      );
    };
    show();
    return tr;
  }

  const rows = new Map();
  function matches(s, term) {
    if (!term) return true;
    return [s.address, s.displayName || "", s.id].join("\n").toLowerCase().includes(term.toLowerCase());
  }

  function renderList() {
    const term = search.value.trim();
    let shown = 0;
    for (const s of loaded) {
      if (!rows.has(s.id)) {
        const r = row(s);
        rows.set(s.id, r);
        tbody.append(r);
      }
      const visible = matches(s, term);
      rows.get(s.id).hidden = !visible;
      if (visible) shown++;
    }
    table.hidden = !shown;
    replace(summary, term ? `${fmt.plural(shown, "match", "matches")} among ${fmt.plural(loaded.length, "loaded sender")}` : `${fmt.plural(loaded.length, "sender")}${next ? " loaded, more available" : ""}`);
    replace(
      noMatch,
      term && !shown
        ? emptyState({
            iconName: "search",
            title: `No loaded sender matches “${term}”`,
            text: "Press Enter to look the exact address up in the whole inventory, or load more senders.",
            actions: [button("Clear search", { onclick: () => ((search.value = ""), renderList()) })],
          })
        : null,
    );
    replace(footer, next ? button("Load more", { onclick: loadMore }) : null);
  }

  async function loadMore() {
    const more = await page("/v1/Senders", "senders", filters, next, PAGE_SIZE, ctx.signal);
    loaded.push(...more.items);
    next = more.next;
    renderList();
  }

  /** Enter in the search box: the Search endpoint finds an exact address across the inventory. */
  async function lookup(event) {
    event.preventDefault();
    const address = search.value.trim();
    if (!address || /\s/.test(address)) return;
    const searchChannel = filters.channel || guessChannel(address, await addressRules());
    try {
      const found = await post("/v1/Senders/Search", { address, channel: searchChannel, ...(filters.status ? { status: filters.status } : {}), pageSize: 100 }, ctx.signal);
      for (const s of found.senders) if (!loaded.some((x) => x.id === s.id)) loaded.push(s);
      if (!found.senders.length) toast(`No ${searchChannel === "PHONE" ? "phone" : searchChannel} sender has the address ${address}.`);
      renderList();
    } catch (error) {
      toast(error.message, "error");
    }
  }

  replace(body, loadingBlock("Loading senders…"));
  const first = await page("/v1/Senders", "senders", filters, null, PAGE_SIZE, ctx.signal);
  loaded.push(...first.items);
  next = first.next;
  if (!loaded.length) {
    replace(
      body,
      filtered
        ? emptyState({ iconName: "search", title: "No senders match these filters", text: "Try another channel or status.", actions: [button("Clear filters", { onclick: () => ctx.navigate("/senders") })] })
        : emptyState({
            iconName: "senders",
            title: "No senders yet",
            text: "Register a phone number, e-mail address or push identity, or import many at once from a CSV with address and channel columns.",
            actions: [button("Register sender", { variant: "primary", onclick: register }, "plus"), button("Import CSV", { onclick: importCsv }, "upload")],
          }),
    );
    search.disabled = true;
    return;
  }
  replace(body, table, noMatch);
  search.addEventListener("input", renderList);
  renderList();
}

