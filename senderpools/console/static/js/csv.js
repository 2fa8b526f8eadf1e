// CSV and pasted lists of senders: parsing, and turning addresses into sender IDs through the public API.

import { ID, post, walk } from "./api.js";
import { pool } from "./dom.js";

export const CHANNELS = ["SMS", "RCS", "EMAIL", "WHATSAPP", "PUSH"];
const E164 = /^\+[0-9]{2,15}$/;

/** RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF. Returns rows of trimmed cells, blank rows dropped. */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = "";
  let quoted = false;
  const input = text.replace(/^\uFEFF/, "");
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (quoted) {
      if (c === '"' && input[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell.trim() === "") {
      quoted = true;
      cell = "";
    } else if (c === ",") {
      row.push(cell.trim());
      cell = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && input[i + 1] === "\n") i++;
      row.push(cell.trim());
      rows.push(row);
      row = [];
      cell = "";
    } else cell += c;
  }
  row.push(cell.trim());
  rows.push(row);
  return rows.filter((r) => r.some((c) => c !== ""));
}

const HEADERS = {
  senderid: "senderId",
  sender_id: "senderId",
  id: "senderId",
  address: "address",
  channel: "channel",
  displayname: "displayName",
  display_name: "displayName",
  name: "displayName",
  status: "status",
  tags: "tags",
};

function headerOf(row) {
  const mapped = row.map((cell) => HEADERS[cell.toLowerCase().replace(/[\s-]/g, "")] || null);
  return mapped.includes("senderId") || mapped.includes("address") ? mapped : null;
}

/** The channel an address without one most likely belongs to (PHONE = any of SMS, RCS, WHATSAPP). */
export function guessChannel(address) {
  if (E164.test(address)) return "PHONE";
  if (address.includes("@")) return "EMAIL";
  return "PUSH";
}

function parseTagCell(text) {
  const tags = {};
  for (const part of (text || "").split(/[;|]/)) {
    const at = part.indexOf("=");
    if (at > 0) tags[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return tags;
}

/**
 * Entries from a CSV file or pasted text. With a header row (senderId, or address + channel, optional
 * displayName, status, tags as k=v;k=v) each row is one entry; without one, every cell is a sender ID
 * or an address. Each entry: {line, senderId} or {line, address, channel, displayName, status, tags}.
 */
export function parseEntries(text) {
  const rows = parseCsv(text);
  if (!rows.length) return [];
  const header = headerOf(rows[0]);
  const entries = [];
  if (header) {
    rows.slice(1).forEach((row, i) => {
      const get = (name) => {
        const at = header.indexOf(name);
        return at >= 0 ? row[at] || "" : "";
      };
      const line = i + 2;
      if (get("senderId")) entries.push({ line, senderId: get("senderId") });
      else if (get("address")) {
        entries.push({
          line,
          address: get("address"),
          channel: get("channel").toUpperCase() || null,
          displayName: get("displayName") || null,
          status: get("status").toUpperCase() || null,
          tags: parseTagCell(get("tags")),
        });
      }
    });
    return entries;
  }
  rows.forEach((row, i) => {
    for (const cell of row.flatMap((c) => c.split(/\s+/)).filter(Boolean)) {
      entries.push(ID.sender.test(cell) ? { line: i + 1, senderId: cell } : { line: i + 1, address: cell, channel: null });
    }
  });
  return entries;
}

/**
 * Sender registrations from CSV entries (address + channel rows; e-mail and push channels may be guessed).
 * Rows missing either become problems; a channel + address repeated in the file is registered once.
 */
export function registrations(entries) {
  const senders = [];
  const problems = [];
  const seen = new Set();
  for (const e of entries) {
    const channel = e.channel || (e.address ? guessChannel(e.address) : null);
    if (!e.address || !CHANNELS.includes(channel)) {
      problems.push({ entry: e, line: e.line, text: e.address || e.senderId, reason: "needs an address and a channel (SMS, RCS, EMAIL, WHATSAPP or PUSH)" });
      continue;
    }
    const key = `${channel} ${e.address}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const sender = { address: e.address, channel };
    if (e.displayName) sender.displayName = e.displayName;
    if (e.status) sender.status = e.status;
    if (e.tags && Object.keys(e.tags).length) sender.tags = e.tags;
    senders.push({ line: e.line, sender });
  }
  return { senders, problems };
}

const SEARCH_LIMIT = 100; // more addresses than this: read the inventory once instead of one search each

/**
 * Resolve entries to sender IDs. Returns {ids, missing, invalid}: `ids` unique in entry order, `missing`
 * the address entries with no sender in the inventory, `invalid` the entries that are neither.
 */
export async function resolveEntries(entries, signal) {
  const ids = [];
  const seen = new Set();
  const add = (id) => {
    if (!seen.has(id)) {
      seen.add(id);
      ids.push(id);
    }
  };
  const invalid = [];
  const byAddress = [];
  for (const e of entries) {
    if (e.senderId) {
      if (ID.sender.test(e.senderId)) add(e.senderId);
      else invalid.push({ ...e, reason: "is not a sender ID (comms_sender_…)" });
    } else {
      const channel = e.channel || guessChannel(e.address);
      if (channel !== "PHONE" && !CHANNELS.includes(channel)) invalid.push({ ...e, reason: `has an unknown channel ${e.channel}` });
      else byAddress.push({ ...e, searchChannel: channel });
    }
  }
  const matches = new Map(); // index in byAddress -> [sender ids]
  if (byAddress.length > SEARCH_LIMIT) {
    const { items } = await walk("/v1/Senders", "senders", {}, 1_000_000, signal);
    const index = new Map();
    for (const s of items) {
      const key = s.address;
      if (!index.has(key)) index.set(key, []);
      index.get(key).push(s);
    }
    byAddress.forEach((e, i) => {
      const wanted = e.searchChannel === "PHONE" ? ["SMS", "RCS", "WHATSAPP"] : [e.searchChannel];
      matches.set(i, (index.get(e.address) || []).filter((s) => wanted.includes(s.channel)).map((s) => s.id));
    });
  } else {
    await pool(byAddress, 6, async (e, i) => {
      try {
        const body = await post("/v1/Senders/Search", { address: e.address, channel: e.searchChannel, pageSize: 10 }, signal);
        matches.set(i, body.senders.map((s) => s.id));
      } catch (error) {
        if (error.status !== 400) throw error;
        matches.set(i, null); // the address is not valid for its channel
      }
    });
  }
  const missing = [];
  byAddress.forEach((e, i) => {
    const found = matches.get(i);
    if (found === null) invalid.push({ ...e, reason: `is not a valid ${e.searchChannel === "PHONE" ? "phone number" : e.searchChannel} address` });
    else if (!found.length) missing.push(e);
    else found.forEach(add);
  });
  return { ids, missing, invalid };
}

export function chunks(items, size) {
  const out = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
