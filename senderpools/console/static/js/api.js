// The public HTTP API, as any other client uses it: HTTP Basic credentials in the Authorization
// header, JSON in and out, the contract's error envelope on failure.
//
// Credentials live in sessionStorage (this tab only, gone when it closes). They are never put in a
// URL, never logged, and sent only to this origin. Every request opts in to senderpools' extension
// fields (a pool's deletionProtection, an operation's type and senderPoolId).

const STORAGE_KEY = "senderpools.console.credentials";
const MAX_RETRIES = 3;

export class ApiError extends Error {
  constructor(status, errors, title) {
    super(errors.length ? errors.map((e) => e.message).join(" ") : title);
    this.status = status;
    this.errors = errors;
    this.title = title;
  }

  get code() {
    return this.errors[0]?.code;
  }
}

const TITLES = {
  400: "The request was not accepted",
  401: "Sign-in failed",
  404: "Not found",
  405: "Not supported by this server",
  409: "Conflict",
  412: "Changed meanwhile",
  413: "Too much data in one request",
  415: "Unsupported request",
  429: "Too many requests",
  500: "The server failed",
  503: "The server is busy",
};

export function credentials() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "null");
    return saved && saved.sid && saved.secret ? saved : null;
  } catch {
    return null;
  }
}

function authorization(sid, secret) {
  const bytes = new TextEncoder().encode(`${sid}:${secret}`);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return `Basic ${btoa(binary)}`;
}

function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== null && value !== undefined && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** One API call. Resolves with the parsed body (null for 204); rejects with ApiError. */
export async function call(method, path, { params, body, signal, auth } = {}) {
  const creds = auth || credentials();
  if (!creds) throw new ApiError(401, [], "Not signed in");
  const headers = {
    Accept: "application/json",
    Authorization: authorization(creds.sid, creds.secret),
    "Senderpools-Extensions": "true",
  };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  for (let attempt = 0; ; attempt++) {
    let response;
    try {
      response = await fetch(path + query(params), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
        credentials: "omit", // no cookies, and no browser sign-in prompt on a 401
        cache: "no-store",
        referrerPolicy: "no-referrer",
      });
    } catch (error) {
      if (error.name === "AbortError") throw error;
      throw new ApiError(0, [], "Could not reach the server. Check that senderpools is running, then retry.");
    }
    if ((response.status === 429 || response.status === 503) && attempt < MAX_RETRIES) {
      const wait = Number(response.headers.get("Retry-After")) || 1;
      await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 10) * 1000));
      continue;
    }
    if (response.status === 204) return null;
    let payload = null;
    try {
      payload = await response.json();
    } catch {
      payload = null;
    }
    if (response.ok) return payload;
    const words = await patternWords();
    const errors = (Array.isArray(payload?.errors) ? payload.errors : []).map((e) => ({ ...e, message: inWords(e.message ?? "", words) }));
    const error = new ApiError(response.status, errors, TITLES[response.status] || `HTTP ${response.status}`);
    if (response.status === 401 && !auth) window.dispatchEvent(new CustomEvent("console:unauthorized", { detail: error }));
    throw error;
  }
}

export const get = (path, params, signal) => call("GET", path, { params, signal });
export const post = (path, body, signal) => call("POST", path, { body, signal });
export const patch = (path, body, signal) => call("PATCH", path, { body, signal });
export const del = (path, signal) => call("DELETE", path, { signal });

/** Check credentials with a cheap authenticated read, then keep them for this tab. */
export async function signIn(sid, secret) {
  const auth = { sid: sid.trim(), secret: secret.trim() };
  await call("GET", "/v1/SenderPools", { params: { pageSize: 1 }, auth });
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(auth));
}

export function signOut() {
  sessionStorage.removeItem(STORAGE_KEY);
}

/** One page of a list: {items, next}. `filters` are resent with every token, as the contract asks. */
export async function page(path, key, filters = {}, pageToken = null, pageSize = 50, signal = undefined) {
  const body = await get(path, { ...filters, pageSize, pageToken }, signal);
  return { items: body[key] || [], next: body.pagination?.next || null };
}

/** Every item of a list, up to `cap` items (then `truncated` is true). */
export async function walk(path, key, filters = {}, cap = 10000, signal = undefined) {
  const items = [];
  let token = null;
  do {
    const result = await page(path, key, filters, token, 1000, signal);
    items.push(...result.items);
    token = result.next;
  } while (token && items.length < cap);
  return { items: items.slice(0, cap), truncated: Boolean(token) || items.length > cap };
}

/** A pool's member counts (by channel and status) and its running operations. */
export const summary = (poolId, signal) => get(`/v1/SenderPools/${encodeURIComponent(poolId)}/Summary`, null, signal);

/** What an operation did, in words, from its `type`. */
export const OPERATION_TYPES = { CREATE: "Create pool", ADD_SENDERS: "Add senders", REMOVE_SENDERS: "Remove senders" };

// -- what the server says of itself, in its OpenAPI document ------------------------------------------
// Optional endpoints, each channel's address rules and the words for each pattern all come from
// /openapi.json, so the console never keeps its own copy of a rule the server enforces.
let documentPromise = null;

function openapi() {
  if (!documentPromise) {
    documentPromise = fetch("/openapi.json", { credentials: "omit" })
      .then((r) => (r.ok ? r.json() : {}))
      .catch(() => ({}));
  }
  return documentPromise;
}

export async function serverFeatures() {
  const paths = Object.keys((await openapi()).paths || {});
  return {
    cancel: paths.some((p) => /^\/v1\/SenderPools\/Operations\/\{[^}]+\}\/Cancel$/.test(p)),
  };
}

/** The values of an enum the server publishes in its OpenAPI document (e.g. "EventType"); [] when absent. */
export async function schemaEnum(name) {
  return (await openapi()).components?.schemas?.[name]?.enum || [];
}

/**
 * Each channel's address check, from the `x-addressRules` the server publishes on its Channel schema:
 * {SMS: (address) => problem or null, ...}. A channel the server publishes no rule for is not checked here
 * (the server still is).
 */
export async function addressRules() {
  const published = (await openapi()).components?.schemas?.Channel?.["x-addressRules"] || {};
  const rules = {};
  for (const [channel, rule] of Object.entries(published)) {
    const pattern = rule.pattern ? new RegExp(rule.pattern) : null;
    rules[channel] = (address) => {
      const fits = address.length >= (rule.minLength ?? 1) && address.length <= (rule.maxLength ?? Infinity);
      return fits && (!pattern || pattern.test(address)) ? null : rule.problem;
    };
  }
  return rules;
}

/** pattern -> what it means in words, from every schema that carries both (`x-expected`). */
async function patternWords() {
  const words = new Map();
  const visit = (node) => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === "object") {
      if (typeof node.pattern === "string" && typeof node["x-expected"] === "string") words.set(node.pattern, node["x-expected"]);
      Object.values(node).forEach(visit);
    }
  };
  visit(await openapi());
  return words;
}

/** An API message with any regular expression in it said in words ("must be letters, digits and . _ ~ -"). */
function inWords(message, words) {
  const said = (pattern, known, unknown) => (words.has(pattern) ? known(words.get(pattern)) : unknown);
  return String(message)
    .replace(/must match the pattern (\S+)/g, (_, p) => said(p, (w) => `must be ${w}`, "is not in the expected form"))
    .replace(/`str` matching regex '([^']*)'/g, (_, p) => said(p, (w) => w, "text in the expected form"))
    .replace(/ matching (\^\S*\$)/g, (_, p) => said(p, (w) => `: ${w}`, " in the expected form"));
}

export const ID = {
  pool: /^comms_senderpool_[0-7][0-9a-hjkmnp-tv-z]{25,34}$/,
  sender: /^comms_sender_[0-7][0-9a-hjkmnp-tv-z]{25,34}$/,
  operation: /^comms_operation_[0-7][0-9a-hjkmnp-tv-z]{25,34}$/,
};
