// Event sinks: the account's webhooks (list, create with the secret shown once, edit, delete), and one
// sink's page: a test event on demand, and its delivery history with redelivery of dead letters.

import { del, get, page, patch, post, schemaEnum } from "../api.js";
import { eventTypes, typeLabel } from "../events.js";
import {
  append,
  button,
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
  replace,
  select,
  time,
  toast,
} from "../dom.js";

const enc = encodeURIComponent;
const PAGE_SIZE = 25;
const POLL_MS = 1000;

const sinkHref = (id) => `#/sinks/${enc(id)}`;

function typesText(types) {
  return types.length ? types.map(typeLabel).join(", ") : "All event types";
}

// -- dialogs --------------------------------------------------------------------------------------------
/**
 * Create (no sink) or edit a sink. Resolves with the sink saved, or null. A new sink's secret is shown in
 * the dialog once, before it closes: the server never shows it again, and the console never keeps it.
 */
async function sinkDialog(ctx, existing = null) {
  const known = await eventTypes();
  const url = h("input", { name: "url", type: "url", value: existing?.url || "", placeholder: "https://hooks.example.com/senderpools", spellcheck: "false" });
  const description = h("input", { name: "description", maxlength: "256", value: existing?.description || "", placeholder: "e.g. Operations finishing" });
  const chosen = new Set(existing?.types || []);
  const boxes = known.map(([type, label]) => {
    const box = h("input", { type: "checkbox", name: "types", value: type, checked: chosen.has(type) });
    return h("label.checkbox.type-choice", box, h("span", label, h("span.sub.mono-small", type)));
  });
  const errors = h("div");
  let created = null; // closing the dialog by its X or Escape once the secret shows still counts as saved
  const saved = await openDialog(
    existing ? "Edit event sink" : "New event sink",
    (body, close) => {
      const save = h("button.btn.btn-primary", { type: "submit" }, existing ? "Save changes" : "Create sink");
      const form = h(
        "form",
        {
          novalidate: true,
          async onsubmit(event) {
            event.preventDefault();
            save.disabled = true;
            replace(errors);
            const types = [...form.querySelectorAll("input[name=types]:checked")].map((b) => b.value);
            const text = description.value.trim();
            try {
              if (existing) {
                const saved = await patch(`/v1/EventSinks/${enc(existing.id)}`, { url: url.value.trim(), types, description: text || null }, ctx.signal);
                toast("Event sink saved.");
                close(saved);
              } else {
                const request = { url: url.value.trim(), types, ...(text ? { description: text } : {}) };
                created = await post("/v1/EventSinks", request, ctx.signal);
                showSecret(body, created, () => close(created));
              }
            } catch (error) {
              replace(errors, errorBox(error, "The sink was not saved"));
              save.disabled = false;
            }
          },
        },
        field("URL", url, "Where events are POSTed (http or https). Private and loopback addresses are refused unless the server allows them."),
        field("Description", description),
        h(
          "fieldset.type-choices",
          h("legend", "Event types"),
          h("p.hint", "None ticked: every type, including types added later."),
          h("div.type-grid", boxes),
        ),
        errors,
        h("div.dialog-actions", button("Cancel", { onclick: () => close(null) }), save),
      );
      append(body, [form]);
    },
    { wide: true },
  );
  return saved || created;
}

function showSecret(body, sink, done) {
  replace(
    body,
    h(
      "div.alert.alert-warning",
      { role: "alert" },
      icon("alert"),
      h(
        "div",
        h("strong", "Copy the signing secret now: you will not see it again."),
        h("p", "The server shows it only once, in this answer. Your receiver verifies each delivery's webhook-signature with it. If you lose it, delete the sink and create a new one."),
      ),
    ),
    field("Signing secret", h("div.secret-row", h("code.mono.secret", { "data-secret": "" }, sink.secret), copyButton(sink.secret, "Copy secret"))),
    h("div.dialog-actions", button("Done", { variant: "primary", onclick: done })),
  );
}

/** Confirm, then delete a sink. Resolves true when deleted. */
async function deleteSink(ctx, sink) {
  const ok = await confirmDialog({
    title: "Delete this event sink?",
    message: h(
      "div",
      h("p", "Events stop going to ", mono(sink.url), "."),
      h("p.muted", "Deliveries still pending are never sent, and the sink's delivery history goes with it. This cannot be undone."),
    ),
    confirmLabel: "Delete sink",
    danger: true,
  });
  if (!ok) return false;
  await del(`/v1/EventSinks/${enc(sink.id)}`, ctx.signal);
  toast("Event sink deleted.");
  return true;
}

// -- the list ---------------------------------------------------------------------------------------------
export async function sinksPage(ctx) {
  const body = h("div");
  const footer = h("div.list-footer");
  const newSink = async () => (await sinkDialog(ctx)) && ctx.refresh();
  replace(
    ctx.main,
    h(
      "div.page",
      h(
        "header.page-header",
        h(
          "div",
          h("h1", "Event sinks"),
          h("p.subtitle", "Webhooks: every change of the account (or the types you choose) is POSTed to each sink as a signed CloudEvent, retried for a day when the receiver fails."),
        ),
        h("div.actions", button("New sink", { variant: "primary", onclick: newSink }, "plus")),
      ),
      body,
      footer,
    ),
  );
  const tbody = h("tbody");
  const row = (sink) =>
    h(
      "tr",
      { dataset: { sinkId: sink.id } },
      h("td", h("a.row-link.mono-link", { href: sinkHref(sink.id) }, sink.url), h("div.sub", sink.description || h("span.muted", "No description"))),
      h("td.sink-types", typesText(sink.types)),
      h("td", time(sink.createdAt)),
      h(
        "td.col-actions",
        h("button.icon-btn", { type: "button", title: "Edit", "aria-label": `Edit ${sink.url}`, onclick: async () => (await sinkDialog(ctx, sink)) && ctx.refresh() }, icon("edit")),
        h("button.icon-btn.danger", { type: "button", title: "Delete", "aria-label": `Delete ${sink.url}`, onclick: async () => (await deleteSink(ctx, sink).catch(failed)) && ctx.refresh() }, icon("trash")),
      ),
    );
  let next = null;
  const renderFooter = () =>
    replace(
      footer,
      next
        ? button("Load more", {
            async onclick(event) {
              event.currentTarget.disabled = true;
              const more = await page("/v1/EventSinks", "eventSinks", {}, next, PAGE_SIZE, ctx.signal);
              next = more.next;
              tbody.append(...more.items.map(row));
              renderFooter();
            },
          })
        : null,
    );
  replace(body, loadingBlock("Loading event sinks…"));
  const first = await page("/v1/EventSinks", "eventSinks", {}, null, PAGE_SIZE, ctx.signal);
  next = first.next;
  if (!first.items.length) {
    replace(
      body,
      emptyState({
        iconName: "webhook",
        title: "No event sinks yet",
        text: "Add one to have the server POST its events to your endpoint as they happen, instead of polling.",
        actions: [button("Add your first sink", { variant: "primary", onclick: newSink }, "plus"), h("a.btn", { href: "/docs", target: "_blank", rel: "noopener" }, "API reference")],
      }),
    );
    return;
  }
  replace(tbody, first.items.map(row));
  replace(body, h("div.table-wrap", h("table.table.sinks-table", h("thead", h("tr", h("th", "URL"), h("th", "Event types"), h("th", "Created"), h("th.col-actions", h("span.sr-only", "Actions")))), tbody)));
  renderFooter();
}

function failed(error) {
  if (error.name !== "AbortError" && error.status !== 401) toast(error.message || String(error), "error");
  return false;
}

// -- one sink -----------------------------------------------------------------------------------------------
function testResult(result) {
  if (result.delivered) {
    return h("div.alert.alert-success.test-result", { role: "status" }, icon("check"), h("div", h("strong", "Test event delivered"), h("p", `HTTP ${result.statusCode} in ${fmt.number(result.latencyMs)} ms.`)));
  }
  const what = [result.statusCode ? `HTTP ${result.statusCode}` : null, result.error].filter(Boolean).join(": ");
  return h(
    "div.alert.alert-error.test-result",
    { role: "alert" },
    icon("alert"),
    h("div", h("strong", "Test event not delivered"), h("p", what || "No answer."), result.latencyMs !== null ? h("p.muted", `After ${fmt.number(result.latencyMs)} ms.`) : null),
  );
}

export async function sinkPage(ctx) {
  const [id] = ctx.params;
  replace(ctx.main, h("div.page", loadingBlock("Loading the event sink…")));
  let sink;
  try {
    sink = await get(`/v1/EventSinks/${enc(id)}`, null, ctx.signal);
  } catch (error) {
    if (error.status !== 404) throw error;
    replace(
      ctx.main,
      h(
        "div.page",
        h("nav.breadcrumb", h("a", { href: "#/sinks" }, "Event sinks"), h("span", "/"), h("span.mono-small", id)),
        emptyState({ iconName: "webhook", title: "This event sink no longer exists", text: "It was deleted, or the link names a sink of another account.", actions: [h("a.btn.btn-primary", { href: "#/sinks" }, "Back to event sinks")] }),
      ),
    );
    return;
  }
  const statuses = await schemaEnum("DeliveryStatus");
  const status = select("status", [["", "Any status"], ...statuses.map((s) => [s, s[0] + s.slice(1).toLowerCase()])], ctx.query.get("status") || "");
  status.setAttribute("aria-label", "Delivery status");
  status.addEventListener("change", () => ctx.navigate(`/sinks/${enc(sink.id)}${status.value ? `?status=${enc(status.value)}` : ""}`));
  const testSlot = h("div.test-slot", { "aria-live": "polite" });
  const deliveriesBody = h("div");
  const deliveriesFooter = h("div.list-footer");
  const testButton = button(
    "Send test event",
    {
      async onclick() {
        testButton.disabled = true;
        replace(testSlot, loadingBlock("Sending a test event…"));
        try {
          replace(testSlot, testResult(await post(`/v1/EventSinks/${enc(sink.id)}/Test`, undefined, ctx.signal)));
        } catch (error) {
          replace(testSlot, errorBox(error, "The test event was not sent"));
        } finally {
          testButton.disabled = false;
        }
      },
    },
    "send",
  );

  replace(
    ctx.main,
    h(
      "div.page",
      h("nav.breadcrumb", h("a", { href: "#/sinks" }, "Event sinks"), h("span", "/"), h("span", sink.description || sink.url)),
      h(
        "header.page-header",
        h(
          "div",
          h("h1", sink.description || "Event sink"),
          h("div.meta", mono(sink.url)),
          h("div.meta", mono(sink.id), copyButton(sink.id, "Copy sink ID")),
          h("div.meta", "created ", time(sink.createdAt), h("span.dot", "·"), "updated ", time(sink.updatedAt)),
          h("div.meta.sink-types", "Receives: ", typesText(sink.types)),
        ),
        h(
          "div.actions",
          testButton,
          button("Edit", { onclick: async () => (await sinkDialog(ctx, sink)) && ctx.refresh() }, "edit"),
          button("Delete", { variant: "danger-outline", onclick: async () => (await deleteSink(ctx, sink)) && ctx.navigate("/sinks") }, "trash"),
        ),
      ),
      testSlot,
      h(
        "section.section",
        h("div.section-head", h("h2", "Deliveries"), h("div.actions", h("span.muted.toolbar-summary", "Newest event first"), button("Refresh", { variant: "small", onclick: () => load() }))),
        h("div.toolbar", h("div.filters", status)),
        deliveriesBody,
        deliveriesFooter,
      ),
    ),
  );

  // deliveries: one row per event; rows of PENDING deliveries are refreshed until none is left
  const path = `/v1/EventSinks/${enc(sink.id)}/Deliveries`;
  const filters = { status: status.value, order: "newest" };
  const tbody = h("tbody");
  let next = null;
  let shown = 0;
  let polling = false;

  /** "HTTP 503 in 12 ms"; "no answer" when the last attempt got none (a timeout, a refused connection). The
   * attempt's time goes below it. */
  const answer = (d) => {
    if (!d.lastAttemptAt) return h("span.muted", "—");
    const took = d.lastLatencyMs === null ? "" : ` in ${fmt.number(d.lastLatencyMs)} ms`;
    return d.lastStatusCode ? `HTTP ${d.lastStatusCode}${took}` : h("span.muted", `no answer${took}`);
  };
  const excerpt = (text) => (text && text.length > 80 ? `${text.slice(0, 80)}…` : text);
  const row = (d) =>
    h(
      "tr",
      { dataset: { eventId: d.eventId, status: d.status } },
      h("td", h("div", typeLabel(d.eventType)), h("div.sub.mono-small", d.eventId)),
      h("td", pill(d.status)),
      h("td.num.attempts", fmt.number(d.attempts)),
      h("td", h("div.answer", answer(d)), d.lastAttemptAt ? h("div.sub", time(d.lastAttemptAt)) : null),
      h("td", d.status === "PENDING" && d.nextAttemptAt ? time(d.nextAttemptAt) : h("span.muted", "—")),
      h("td.delivery-error", d.lastError ? h("span", { title: d.lastError }, excerpt(d.lastError)) : h("span.muted", "—")),
      h(
        "td.col-actions",
        d.status === "FAILED"
          ? button("Redeliver", {
              variant: "small",
              "aria-label": `Redeliver ${d.eventId}`,
              async onclick(event) {
                const redeliver = event.currentTarget;
                redeliver.disabled = true;
                try {
                  await post(`${path}/${enc(d.eventId)}/Redeliver`, undefined, ctx.signal);
                } finally {
                  redeliver.disabled = false;
                }
                toast("Redelivery queued: the event is due now.");
                redeliver.closest("tr").replaceWith(row({ ...d, status: "PENDING", nextAttemptAt: new Date().toISOString() }));
                watch();
              },
            })
          : null,
      ),
    );

  const table = h(
    "div.table-wrap",
    h(
      "table.table.deliveries-table",
      h(
        "thead",
        h("tr", h("th", "Event"), h("th", "Status"), h("th.num", "Attempts"), h("th", "Last attempt"), h("th", "Next attempt"), h("th", "Last error"), h("th.col-actions", h("span.sr-only", "Actions"))),
      ),
      tbody,
    ),
  );

  function show(items) {
    shown = items.length;
    replace(tbody, items.map(row));
    if (items.length) replace(deliveriesBody, table);
    else {
      replace(
        deliveriesBody,
        status.value
          ? emptyState({ iconName: "search", title: `No ${status.value} deliveries`, actions: [button("Show every delivery", { onclick: () => ctx.navigate(`/sinks/${enc(sink.id)}`) })] })
          : emptyState({ iconName: "webhook", title: "Nothing delivered yet", text: "Each event from the sink's creation on is listed here once it is due. Test events are not recorded." }),
      );
    }
    renderFooter();
  }

  function renderFooter() {
    replace(
      deliveriesFooter,
      next
        ? button("Load more", {
            async onclick(event) {
              event.currentTarget.disabled = true;
              const more = await page(path, "deliveries", filters, next, PAGE_SIZE, ctx.signal);
              next = more.next;
              shown += more.items.length;
              tbody.append(...more.items.map(row));
              renderFooter();
              watch();
            },
          })
        : null,
    );
  }

  /** While a shown delivery is PENDING, read the rows shown again every second (as many as are shown). */
  function watch() {
    if (polling) return;
    polling = true;
    ctx.every(POLL_MS, async () => {
      const fresh = await page(path, "deliveries", filters, null, Math.min(Math.max(shown, PAGE_SIZE), 1000), ctx.signal);
      next = fresh.next;
      show(fresh.items);
      polling = fresh.items.some((d) => d.status === "PENDING");
      return polling;
    });
  }

  async function load() {
    const first = await page(path, "deliveries", filters, null, PAGE_SIZE, ctx.signal);
    next = first.next;
    show(first.items);
    if (first.items.some((d) => d.status === "PENDING")) watch();
  }

  replace(deliveriesBody, loadingBlock("Loading deliveries…"));
  await load();
}
