// Events in words: one label per event type and a short account of its data. The list of types itself is
// the server's (the EventType enum of /openapi.json); a type this map does not know shows as its name.

import { OPERATION_TYPES, schemaEnum } from "./api.js";
import { fmt } from "./dom.js";

const operation = (verb) => (d) => {
  const kind = OPERATION_TYPES[d.type] || "Operation";
  const s = d.stats || {};
  const parts = [`${kind}, ${fmt.plural(s.total ?? 0, "item")}`];
  if (verb !== "queued" && s.created !== undefined) parts.push(`${fmt.number(s.created)} applied`);
  if (s.failed) parts.push(`${fmt.number(s.failed)} failed`);
  return parts.join(" · ");
};

/** "2 already members · 1 not found" (the parts that are not zero). */
const membership = (already) => (d) => {
  const parts = [fmt.number(d.changed ?? 0)];
  if (d.unchanged) parts.push(`${fmt.number(d.unchanged)} ${already}`);
  if (d.notFound) parts.push(`${fmt.number(d.notFound)} not found`);
  return parts.join(" · ");
};

const changed = (d) => (d.changed || []).join(", ") || null;

export const EVENT_TYPES = {
  "com.twilio.comms-api.operation.processing": { label: "Operation queued", detail: operation("queued") },
  "com.twilio.comms-api.operation.completed": { label: "Operation completed", detail: operation("completed") },
  "io.senderpools.operation.canceled": { label: "Operation canceled", detail: operation("canceled") },
  "io.senderpools.senderpool.created": { label: "Pool created", detail: (d) => (d.name ? `“${d.name}”` : null) },
  "io.senderpools.senderpool.updated": { label: "Pool updated", detail: changed },
  "io.senderpools.senderpool.deleted": { label: "Pool deleted" },
  "io.senderpools.senderpool.members.added": { label: "Senders added", detail: membership("already members") },
  "io.senderpools.senderpool.members.removed": { label: "Senders removed", detail: membership("not members") },
  "io.senderpools.sender.registered": { label: "Sender registered", detail: (d) => [d.channel, d.address].filter(Boolean).join(" ") || null },
  "io.senderpools.sender.updated": { label: "Sender updated", detail: changed },
  "io.senderpools.sender.deleted": { label: "Sender deleted" },
  "io.senderpools.apikey.created": { label: "API key created" },
  "io.senderpools.apikey.revoked": { label: "API key revoked" },
  "io.senderpools.eventsink.test": { label: "Test event", detail: (d) => d.message || null },
};

/** An event type's label ("Senders added"), or the type itself when this console does not know it. */
export function typeLabel(type) {
  return EVENT_TYPES[type]?.label || type;
}

/** "Senders added: 1,000 · 2 already members": what an event says, in words. */
export function describe(event) {
  const known = EVENT_TYPES[event.type];
  const detail = known?.detail ? known.detail(event.data || {}) : null;
  return detail ? `${typeLabel(event.type)}: ${detail}` : typeLabel(event.type);
}

/** Every event type the server knows, as [type, label] pairs: in this map's order, unknown ones last. */
export async function eventTypes() {
  const known = Object.keys(EVENT_TYPES);
  const rank = (type) => (known.includes(type) ? known.indexOf(type) : known.length);
  const types = [...(await schemaEnum("EventType"))].sort((a, b) => rank(a) - rank(b));
  return types.map((type) => [type, typeLabel(type)]);
}
