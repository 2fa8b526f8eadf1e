// The console shell: sign-in, the sidebar layout and a small hash router (#/pools, #/pools/{id}, ...).
// Routes live in the fragment, which browsers never send to the server.

import { credentials, signIn, signOut } from "./api.js";
import { button, errorBox, h, icon, replace, sleep } from "./dom.js";
import { operationPage, operationsPage } from "./views/operations.js";
import { poolPage } from "./views/pool.js";
import { poolsPage } from "./views/pools.js";
import { sendersPage } from "./views/senders.js";
import { sinkPage, sinksPage } from "./views/sinks.js";

const ROUTES = [
  [/^\/pools$/, poolsPage, "pools"],
  [/^\/pools\/([^/]+)$/, poolPage, "pools"],
  [/^\/senders$/, sendersPage, "senders"],
  [/^\/operations$/, operationsPage, "operations"],
  [/^\/operations\/([^/]+)$/, operationPage, "operations"],
  [/^\/sinks$/, sinksPage, "sinks"],
  [/^\/sinks\/([^/]+)$/, sinkPage, "sinks"],
];

const root = document.getElementById("root");
let current = null; // {controller} of the view on screen
let signInNotice = null;

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/pools";
  const [path, search = ""] = raw.split("?");
  return { path, query: new URLSearchParams(search) };
}

export function navigate(path) {
  if (location.hash === `#${path}`) render();
  else location.hash = path;
}

// -- sign-in ------------------------------------------------------------------------------------------
function signInView() {
  const sid = h("input", { name: "sid", autocomplete: "username", required: true, spellcheck: "false", placeholder: "AC… or SK…" });
  const secret = h("input", { name: "secret", type: "password", autocomplete: "current-password", required: true });
  const message = h("div.signin-message");
  const submit = h("button.btn.btn-primary.btn-block", { type: "submit" }, "Sign in");
  if (signInNotice) replace(message, errorBox(signInNotice, "Signed out"));
  const form = h(
    "form.signin-form",
    {
      method: "post",
      novalidate: true,
      async onsubmit(event) {
        event.preventDefault();
        if (!sid.value.trim() || !secret.value.trim()) {
          replace(message, errorBox(new Error("Enter an account SID (or API key SID) and its token (or secret)."), "Missing credentials"));
          return;
        }
        submit.disabled = true;
        replace(message);
        try {
          await signIn(sid.value, secret.value);
          signInNotice = null;
          secret.value = "";
          render();
        } catch (error) {
          replace(message, errorBox(error, error.status === 401 ? "Those credentials were not accepted" : null));
        } finally {
          submit.disabled = false;
        }
      },
    },
    h("div.field", h("label", { for: "signin-sid" }, "Account SID or API key SID"), Object.assign(sid, { id: "signin-sid" })),
    h("div.field", h("label", { for: "signin-secret" }, "Auth token or API key secret"), Object.assign(secret, { id: "signin-secret" })),
    message,
    submit,
  );
  return h(
    "div.signin",
    h(
      "div.signin-card",
      h("div.brand.brand-large", h("span.logo"), h("span", "senderpools")),
      h("h1", "Sign in to the console"),
      h("p.muted", "Manage sender pools, senders and operations with the same public API your applications use."),
      form,
      h(
        "p.signin-note",
        icon("check"),
        "Your credentials stay in this browser tab (session storage) and travel only in the Authorization header to this server. Closing the tab signs you out.",
      ),
    ),
  );
}

// -- layout ---------------------------------------------------------------------------------------------
function shell(section) {
  const creds = credentials();
  const link = (name, label, iconName) =>
    h(`a.nav-link${section === name ? ".active" : ""}`, { href: `#/${name}`, "aria-current": section === name ? "page" : null }, icon(iconName), label);
  const who = creds.sid.length > 14 ? `${creds.sid.slice(0, 8)}…${creds.sid.slice(-4)}` : creds.sid;
  const main = h("main.content", { id: "view", tabindex: "-1" });
  const sidebar = h(
    "aside.sidebar",
    h("a.brand", { href: "#/pools" }, h("span.logo"), h("span", "senderpools"), h("span.brand-tag", "console")),
    h("nav.nav", { "aria-label": "Sections" }, link("pools", "Pools", "pools"), link("senders", "Senders", "senders"), link("operations", "Operations", "operations"), link("sinks", "Event sinks", "webhook")),
    h("div.sidebar-spacer"),
    h("a.nav-link.nav-subtle", { href: "/docs", target: "_blank", rel: "noopener" }, icon("docs"), "API reference"),
    h(
      "div.account",
      h("div.account-label", creds.sid.startsWith("SK") ? "API key" : "Account"),
      h("div.account-sid", { title: creds.sid }, who),
      button(
        "Sign out",
        {
          variant: "ghost small",
          onclick() {
            signOut();
            signInNotice = null;
            render();
          },
        },
        "logout",
      ),
    ),
  );
  replace(root, h("div.shell", sidebar, main));
  root.className = "";
  return main;
}

// -- router -----------------------------------------------------------------------------------------------
async function render() {
  current?.controller.abort();
  current = null;
  if (!credentials()) {
    root.className = "";
    replace(root, signInView());
    return;
  }
  const { path, query } = parseHash();
  const match = ROUTES.map(([re, view, section]) => [path.match(re), view, section]).find(([m]) => m);
  if (!match) {
    navigate("/pools");
    return;
  }
  const [m, view, section] = match;
  const controller = new AbortController();
  current = { controller };
  const main = shell(section);
  const ctx = {
    main,
    params: m.slice(1).map(decodeURIComponent),
    query,
    signal: controller.signal,
    navigate,
    refresh: render,
    /** Run fn every `ms` until the view goes away; fn returning false stops it. */
    async every(ms, fn) {
      while (!controller.signal.aborted) {
        await sleep(ms, controller.signal);
        if (controller.signal.aborted) return;
        try {
          if ((await fn()) === false) return;
        } catch (error) {
          if (error.name === "AbortError") return;
          if (error.status === 401) return;
        }
      }
    },
  };
  try {
    await view(ctx);
  } catch (error) {
    if (error.name === "AbortError" || controller.signal.aborted) return;
    if (error.status === 401) return; // handled by the unauthorized listener
    replace(main, h("div.page", errorBox(error), h("p", button("Retry", { variant: "primary", onclick: render }))));
  }
}

window.addEventListener("console:unauthorized", (event) => {
  if (!credentials()) return;
  signOut();
  signInNotice = Object.assign(event.detail, {
    message: "The server no longer accepts these credentials (revoked or changed?). Sign in again.",
    errors: [],
  });
  render();
});
window.addEventListener("hashchange", render);
render();
