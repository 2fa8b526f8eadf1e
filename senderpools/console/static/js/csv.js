// CSV and pasted lists of senders: parsing, and turning addresses into sender IDs through the public API.

import { addressRules, ApiError, get, ID, post, walk } from "./api.js";
import { pool } from "./dom.js";

export const CHANNELS = ["SMS", "RCS", "EMAIL", "WHATSAPP", "PUSH"];

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

/**
 * The channel an address without one most likely belongs to (PHONE = any of SMS, RCS, WHATSAPP): a phone
 * number by the server's SMS rule (`rules` from api.addressRules()), else e-mail if it has an @, else push.
 */
export function guessChannel(address, rules) {
  if (rules.SMS && !rules.SMS(address)) return "PHONE";
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
 * Sender registrations from CSV entries (address + channel rows; e-mail and push channels may be guessed),
 * each address checked with the server's rule for its channel (`rules`, from api.addressRules()).
 * Returns {senders, problems, duplicates}: `problems` are rows that cannot be registered (no channel, an
 * address that does not suit it), `duplicates` rows repeating an earlier row's channel and address
 * (skipped, each with the line it repeats).
 */
export function registrations(entries, rules) {
  const senders = [];
  const problems = [];
  const duplicates = [];
  const firstLine = new Map();
  for (const e of entries) {
    const channel = e.channel || (e.address ? guessChannel(e.address, rules) : null);
    if (!e.address || !CHANNELS.includes(channel)) {
      problems.push({ entry: e, line: e.line, text: e.address || e.senderId, reason: "needs an address and a channel (SMS, RCS, EMAIL, WHATSAPP or PUSH)" });
      continue;
    }
    const problem = rules[channel]?.(e.address);
    if (problem) {
      problems.push({ entry: e, line: e.line, text: e.address, reason: `${problem} for channel ${channel}` });
      continue;
    }
    const key = `${channel} ${e.address}`;
    if (firstLine.has(key)) {
      duplicates.push({ entry: e, line: e.line, text: e.address, reason: `repeats line ${firstLine.get(key)} (skipped)` });
      continue;
    }
    firstLine.set(key, e.line);
    const sender = { address: e.address, channel };
    if (e.displayName) sender.displayName = e.displayName;
    if (e.status) sender.status = e.status;
    if (e.tags && Object.keys(e.tags).length) sender.tags = e.tags;
    senders.push({ line: e.line, entry: e, sender });
  }
  return { senders, problems, duplicates };
}

const REGISTER_CHUNK = 1000; // senders per POST /v1/Senders (the API takes up to 10,000)

/**
 * Register `rows` ({line, entry, sender}) in chunks. Each chunk is all-or-nothing on the server, so a
 * refused chunk is retried without the rows the error names (by `$[i]`, mapped back to their CSV line):
 * the good rows are always registered. With `skipExisting`, a row refused as already registered is
 * counted as existing instead of failed. Any other refusal stops the import; the rows not sent then
 * count as failed, with the reason. Returns {created: [{line, entry, sender}], existing, failed:
 * [{line, entry, text, reason}], stopped: the error that stopped it, or null}.
 */
export async function registerSenders(rows, { skipExisting = false, signal, progress = () => {} } = {}) {
  const created = [];
  const existing = [];
  const failed = [];
  const groups = chunks(rows, REGISTER_CHUNK);
  for (let c = 0; c < groups.length; c++) {
    let batch = groups[c];
    while (batch.length) {
      try {
        const answer = await post("/v1/Senders", batch.map((x) => x.sender), signal);
        answer.senders.forEach((sender, i) => created.push({ ...batch[i], sender }));
        break;
      } catch (error) {
        if (error.name === "AbortError") throw error;
        const named = rowErrors(error, batch.length);
        if ((error.status === 400 || error.status === 409) && named.size) {
          for (const [i, reason] of named) {
            const row = batch[i];
            if (error.status === 409 && skipExisting) existing.push(row);
            else failed.push({ line: row.line, entry: row.entry, text: row.sender.address, reason });
          }
          batch = batch.filter((_, i) => !named.has(i));
          continue;
        }
        const rest = [...batch, ...groups.slice(c + 1).flat()];
        failed.push(...rest.map((row) => ({ line: row.line, entry: row.entry, text: row.sender.address, reason: `not imported: ${error.message || error.title}` })));
        return { created, existing, failed, stopped: error };
      }
    }
    progress(created.length + existing.length + failed.length, rows.length);
  }
  return { created, existing, failed, stopped: null };
}

/** The rows an API error names by position (`$[3].address`), each with its reason; empty if any error names none. */
function rowErrors(error, size) {
  const named = new Map();
  for (const e of error.errors || []) {
    const m = /^\$\[(\d+)\](?:\.(\w+))?/.exec(e.context || "");
    if (!m || Number(m[1]) >= size) return new Map();
    const reason = `${m[2] ? `${m[2]} ` : ""}${e.message}`.replace(/\.$/, "");
    const i = Number(m[1]);
    named.set(i, named.has(i) ? `${named.get(i)}; ${reason}` : reason);
  }
  return named;
}

const FAILED_COLUMNS = ["line", "address", "channel", "displayName", "status", "tags", "reason"];

function csvCell(value) {
  const text = value === null || value === undefined ? "" : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A CSV of failed rows (their CSV line, what the row held, and why it failed), to fix and import again. */
export function failedRowsCsv(failed) {
  const lines = [FAILED_COLUMNS.join(",")];
  for (const f of [...failed].sort((a, b) => a.line - b.line)) {
    const e = f.entry || f;
    const tags = Object.entries(e.tags || {}).map(([k, v]) => `${k}=${v}`).join(";");
    lines.push([f.line, e.address ?? e.senderId ?? f.text, e.channel, e.displayName, e.status, tags, f.reason].map(csvCell).join(","));
  }
  return `${lines.join("\r\n")}\r\n`;
}

/** Any rows as CSV text, with a header row of `columns`. */
export function toCsv(columns, rows) {
  return `${[columns.join(","), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(","))].join("\r\n")}\r\n`;
}

const SEARCH_LIMIT = 100; // more addresses than this: read the inventory once instead of one search each

/**
 * Resolve entries to sender IDs. Returns {ids, missing, invalid, duplicates}: `ids` unique in entry order,
 * `missing` the address entries with no sender in the inventory, `invalid` the entries that are neither,
 * `duplicates` the entries naming a sender an earlier line named.
 */
export async function resolveEntries(entries, signal) {
  const rules = await addressRules();
  const ids = [];
  const seen = new Map(); // sender id -> the line that named it first
  const duplicates = [];
  const add = (id, e) => {
    if (!seen.has(id)) {
      seen.set(id, e.line);
      ids.push(id);
    } else if (seen.get(id) !== e.line) duplicates.push({ ...e, reason: `names the same sender as line ${seen.get(id)} (skipped)` });
  };
  const invalid = [];
  const byAddress = [];
  for (const e of entries) {
    if (e.senderId) {
      if (ID.sender.test(e.senderId)) add(e.senderId, e);
      else invalid.push({ ...e, reason: "is not a sender ID (comms_sender_…)" });
    } else {
      const channel = e.channel || guessChannel(e.address, rules);
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
    else found.forEach((id) => add(id, e));
  });
  return { ids, missing, invalid, duplicates };
}

export function chunks(items, size) {
  const out = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The senders with these IDs, as a Map id -> sender (IDs not in the inventory are left out). A few are
 * fetched one by one; more than SEARCH_LIMIT read the inventory once instead.
 */
export async function sendersById(ids, signal) {
  const wanted = new Set(ids);
  const found = new Map();
  if (wanted.size > SEARCH_LIMIT) {
    const { items } = await walk("/v1/Senders", "senders", {}, 1_000_000, signal);
    for (const s of items) if (wanted.has(s.id)) found.set(s.id, s);
    return found;
  }
  await pool([...wanted], 6, async (id) => {
    try {
      found.set(id, await get(`/v1/Senders/${encodeURIComponent(id)}`, null, signal));
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
    }
  });
  return found;
}
