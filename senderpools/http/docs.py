"""The OpenAPI document and human-readable docs, served without authentication and fully offline.

``/docs`` is one self-contained HTML page (inline CSS, no scripts) rendered from the OpenAPI
document; ``/docs/errors/{code}`` describes one error code (every error's ``infoUrl`` points there).
"""

from __future__ import annotations

import html
import re
from functools import cache
from typing import Any

import msgspec

from senderpools.errors import BY_CODE, CATALOGUE, NotFound
from senderpools.http import openapi
from senderpools.http.app import App, PageRoute
from senderpools.http.asgi import Request, Response
from senderpools.http.render import error_docs_url, error_response
from senderpools.wire.endpoints import Endpoint

HTML = "text/html; charset=utf-8"

_REF = "#/components/schemas/"

CSS = """
:root{--bg:#fbfbfd;--fg:#1d2330;--muted:#5d6678;--line:#e2e5ec;--card:#fff;--code:#f2f4f8;--accent:#3b5bdb;
--get:#2f9e44;--post:#1971c2;--patch:#e67700;--delete:#c92a2a;--ok:#2f9e44;--warn:#e67700;--err:#c92a2a}
@media (prefers-color-scheme:dark){:root{--bg:#14161b;--fg:#e4e7ee;--muted:#9aa3b5;--line:#2a2f3a;--card:#1b1e25;
--code:#242833;--accent:#91a7ff}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
code,pre{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
code{background:var(--code);padding:1px 5px;border-radius:4px}
pre{background:var(--code);padding:12px 14px;border-radius:8px;overflow:auto;margin:8px 0}
pre code{background:none;padding:0}
nav{position:fixed;top:0;left:0;bottom:0;width:290px;overflow:auto;padding:22px 18px;border-right:1px solid var(--line);
background:var(--card)}
nav h1{font-size:20px;margin:0 0 2px}nav .version{color:var(--muted);font-size:13px;margin-bottom:18px}
nav h2{font-size:12px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);margin:18px 0 6px}
nav ul{list-style:none;margin:0;padding:0}nav li{margin:3px 0;font-size:14px}
nav li a{color:var(--fg);display:flex;gap:8px;align-items:baseline}
main{margin-left:290px;padding:28px 44px 80px;max-width:1120px}
main>section{margin-bottom:40px}
h2.section{font-size:24px;border-bottom:1px solid var(--line);padding-bottom:6px;margin-top:36px}
.op,.schema{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 22px;margin:18px 0}
.op h3{margin:0;font-size:17px;display:flex;gap:10px;align-items:center;flex-wrap:wrap}
.op h3 .path{font-size:15px;background:none;padding:0}
.op .summary{font-size:18px;font-weight:600;margin:6px 0 2px}
.op .opid{color:var(--muted);font-size:12.5px}
h4{margin:18px 0 6px;font-size:13px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
.m{display:inline-block;min-width:58px;text-align:center;font:700 11.5px/1 ui-monospace,monospace;color:#fff;
padding:5px 6px;border-radius:5px}
nav .m{min-width:50px;font-size:10px;padding:3px 4px}
.m.get{background:var(--get)}.m.post{background:var(--post)}.m.patch{background:var(--patch)}.m.delete{background:var(--delete)}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;padding:7px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:600}
td.name{white-space:nowrap;font-family:ui-monospace,monospace;font-size:13px}
.req{color:var(--err);font-size:11px;margin-left:4px}
.muted{color:var(--muted)}.constraints{color:var(--muted);font-size:13px}
.status{display:inline-block;min-width:42px;font:700 13px/1 ui-monospace,monospace;padding:4px 6px;border-radius:5px;
text-align:center;color:#fff}
.s2{background:var(--ok)}.s3{background:var(--muted)}.s4{background:var(--warn)}.s5{background:var(--err)}
.alt{border-left:3px solid var(--line);padding-left:12px;margin:8px 0}
.error-page main{margin:0 auto;max-width:760px}
@media (max-width:900px){nav{position:static;width:auto;border-right:0;border-bottom:1px solid var(--line)}
main{margin-left:0;padding:20px}}
"""


# -- text ----------------------------------------------------------------------------------------
def inline(text: str) -> str:
    """Escape ``text`` and render its `code` and **strong** spans."""
    out = html.escape(text, quote=False)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", out)


def paragraphs(text: str) -> str:
    return "".join(f"<p>{inline(p.strip())}</p>" for p in text.split("\n\n") if p.strip())


def _json(value: Any) -> str:
    pretty = msgspec.json.format(msgspec.json.encode(value), indent=2).decode()
    return f"<pre><code>{html.escape(pretty)}</code></pre>"


def _resolve(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node and len(node) == 1:
        target: Any = doc
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


# -- schemas ---------------------------------------------------------------------------------------
def type_label(schema: dict[str, Any]) -> str:
    """A compact, linked type name: ``Sender[]``, ``string | null``, ``map<string, string>``."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix(_REF)
        return f'<a href="#schema-{name}">{html.escape(name)}</a>'
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " | ".join(type_label(s) for s in schema[key])
    if "enum" in schema:
        return " | ".join(f"<code>{html.escape(str(v))}</code>" for v in schema["enum"])
    kind = schema.get("type", "any")
    if kind == "array":
        item = type_label(schema.get("items", {}))
        return f"({item})[]" if " | " in item else f"{item}[]"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"map&lt;string, {type_label(schema['additionalProperties'])}&gt;"
    label = html.escape(str(kind))
    if "format" in schema:
        label += f' <span class="muted">({html.escape(schema["format"])})</span>'
    return label


def constraints(schema: dict[str, Any]) -> str:
    """The rules a value must follow, in words."""
    rules = []
    if "minLength" in schema or "maxLength" in schema:
        rules.append(_range(schema.get("minLength"), schema.get("maxLength"), "characters"))
    if "minItems" in schema or "maxItems" in schema:
        rules.append(_range(schema.get("minItems"), schema.get("maxItems"), "items"))
    if "minimum" in schema or "maximum" in schema:
        rules.append(_range(schema.get("minimum"), schema.get("maximum"), ""))
    if "maxProperties" in schema:
        rules.append(f"at most {schema['maxProperties']} entries")
    if "x-expected" in schema:  # the pattern in words, with the pattern itself for the precise
        rules.append(f"{html.escape(schema['x-expected'])} (<code>{html.escape(schema['pattern'])}</code>)")
    elif "pattern" in schema:
        rules.append(f"pattern <code>{html.escape(schema['pattern'])}</code>")
    names = schema.get("propertyNames")
    if isinstance(names, dict) and names:
        rules.append(f"keys: {constraints(names)}")
    values = schema.get("additionalProperties")
    if isinstance(values, dict) and constraints(values):
        rules.append(f"values: {constraints(values)}")
    for key in ("anyOf", "oneOf"):
        branches = [b for b in schema.get(key, ()) if b.get("type") != "null"]
        for branch in branches:
            if "$ref" not in branch and constraints(branch):
                label = "" if len(branches) == 1 else f"{type_label(branch)}: "
                rules.append(label + constraints(branch))
    if "default" in schema:
        rules.append(f"default <code>{html.escape(msgspec.json.encode(schema['default']).decode())}</code>")
    return "; ".join(r for r in rules if r)


def _range(low: Any, high: Any, unit: str) -> str:
    unit = f" {unit}" if unit else ""
    if low is not None and high is not None:
        return f"{low} to {high}{unit}"
    return f"at least {low}{unit}" if low is not None else f"at most {high}{unit}"


def fields_table(schema: dict[str, Any]) -> str:
    required = set(schema.get("required", ()))
    rows = []
    for name, prop in schema.get("properties", {}).items():
        mark = '<span class="req">required</span>' if name in required else ""
        notes = " ".join(x for x in (inline(prop.get("description", "")), constraints(prop)) if x)
        rows.append(
            f'<tr><td class="name">{html.escape(name)}{mark}</td><td>{type_label(prop)}</td>'
            f'<td class="constraints">{notes}</td></tr>'
        )
    return f"<table><tr><th>Field</th><th>Type</th><th>Notes</th></tr>{''.join(rows)}</table>"


def schema_block(schema: dict[str, Any]) -> str:
    """A body schema in words: a linked type, with its own rules when it is not a named schema."""
    if "$ref" in schema:
        return f"<p>{type_label(schema)}</p>"
    for key, words in (("anyOf", "Any of"), ("oneOf", "One of")):
        if key in schema:
            branches = "".join(f'<div class="alt">{schema_block(s)}</div>' for s in schema[key])
            return f"<p>{words}:</p>{branches}"
    rules = constraints(schema)
    return f"<p>{type_label(schema)}{f' <span class=constraints>({rules})</span>' if rules else ''}</p>"


def schema_section(name: str, schema: dict[str, Any]) -> str:
    parts = [f'<div class="schema" id="schema-{name}"><h3>{html.escape(name)}</h3>']
    if schema.get("description"):
        parts.append(paragraphs(schema["description"]))
    if "properties" in schema:
        parts.append(fields_table(schema))
    elif "enum" in schema:
        parts.append(f"<p>One of: {type_label(schema)}</p>")
    else:
        parts.append(schema_block(schema))
    for example in schema.get("examples", ()):
        parts.append(f"<h4>Example</h4>{_json(example)}")
    parts.append("</div>")
    return "".join(parts)


# -- endpoints -------------------------------------------------------------------------------------
def _anchor(operation: dict[str, Any]) -> str:
    return f"op-{operation['operationId']}"


def _parameters(doc: dict[str, Any], operation: dict[str, Any]) -> str:
    params = [_resolve(doc, p) for p in operation.get("parameters", ())]
    if not params:
        return ""
    rows = []
    for p in params:
        mark = '<span class="req">required</span>' if p.get("required") else ""
        notes = " ".join(x for x in (inline(p.get("description", "")), constraints(p["schema"])) if x)
        rows.append(
            f'<tr><td class="name">{html.escape(p["name"])}{mark}</td><td>{html.escape(p["in"])}</td>'
            f'<td>{type_label(p["schema"])}</td><td class="constraints">{notes}</td></tr>'
        )
    header = "<tr><th>Name</th><th>In</th><th>Type</th><th>Notes</th></tr>"
    return f"<h4>Parameters</h4><table>{header}{''.join(rows)}</table>"


def _request_body(operation: dict[str, Any]) -> str:
    body = operation.get("requestBody")
    if body is None:
        return ""
    media = body["content"][openapi.JSON]
    optional = "" if body.get("required") else ' <span class="muted">(optional)</span>'
    parts = [f"<h4>Request body{optional}</h4>", f"<p class=muted><code>{openapi.JSON}</code></p>"]
    parts.append(schema_block(media["schema"]))
    if "example" in media:
        parts.append(_json(media["example"]))
    return "".join(parts)


def _responses(doc: dict[str, Any], operation: dict[str, Any]) -> str:
    rows = []
    for status, ref in operation["responses"].items():
        response = _resolve(doc, ref)
        media = response.get("content", {}).get(openapi.JSON)
        body = type_label(media["schema"]) if media else '<span class="muted">no body</span>'
        code = response.get("x-error-code")
        if code is not None:
            summary = f'<a href="/docs/errors/{code}">{code}</a> {inline(BY_CODE[code].title)}'
        else:
            summary = inline(response["description"])
        headers = ", ".join(f"<code>{html.escape(h)}</code>" for h in response.get("headers", {}))
        rows.append(
            f'<tr><td><span class="status s{status[0]}">{status}</span></td><td>{summary}</td>'
            f"<td>{body}</td><td>{headers}</td></tr>"
        )
    header = "<tr><th>Status</th><th>Meaning</th><th>Body</th><th>Headers</th></tr>"
    return f"<h4>Responses</h4><table>{header}{''.join(rows)}</table>"


def endpoint_section(doc: dict[str, Any], path: str, method: str, operation: dict[str, Any]) -> str:
    return (
        f'<div class="op" id="{_anchor(operation)}">'
        f'<h3><span class="m {method}">{method.upper()}</span><code class="path">{html.escape(path)}</code></h3>'
        f'<div class="summary">{inline(operation["summary"])}</div>'
        f'<div class="opid">operationId <code>{html.escape(operation["operationId"])}</code></div>'
        f"{paragraphs(operation.get('description', ''))}"
        f"{_parameters(doc, operation)}{_request_body(operation)}{_responses(doc, operation)}</div>"
    )


def _operations_by_tag(doc: dict[str, Any]) -> dict[str, list[tuple[str, str, dict[str, Any]]]]:
    grouped: dict[str, list[tuple[str, str, dict[str, Any]]]] = {t["name"]: [] for t in doc["tags"]}
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            grouped[operation["tags"][0]].append((path, method, operation))
    return grouped


def errors_table() -> str:
    rows = "".join(
        f'<tr><td><a href="/docs/errors/{e.code}">{e.code}</a></td><td>{e.status}</td><td>{inline(e.title)}</td>'
        f"<td>{inline(e.remedy)}</td></tr>"
        for e in CATALOGUE
    )
    return f"<table><tr><th>Code</th><th>Status</th><th>Error</th><th>What to do</th></tr>{rows}</table>"


def _page(title: str, body: str, body_class: str = "") -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head>"
        f'<body class="{body_class}">{body}</body></html>'
    )


@cache
def docs_html(endpoints: tuple[Endpoint[Any, Any, Any], ...]) -> str:
    doc = openapi.document(endpoints)
    info, grouped = doc["info"], _operations_by_tag(doc)
    nav = [
        f"<nav><h1>{html.escape(info['title'])}</h1><div class=version>API reference &middot; v{info['version']}</div>",
        '<ul><li><a href="#overview">Overview</a></li><li><a href="#authentication">Authentication</a></li>',
        '<li><a href="#errors">Errors</a></li><li><a href="/openapi.json">OpenAPI document</a></li></ul>',
    ]
    main = [
        f'<main><section id="overview"><h2 class="section">Overview</h2>{paragraphs(info["description"])}',
        '<p>The machine-readable contract is the <a href="/openapi.json">OpenAPI 3.1 document</a>.</p></section>',
        '<section id="authentication"><h2 class="section">Authentication</h2>',
        paragraphs(doc["components"]["securitySchemes"]["basicAuth"]["description"]),
        "<pre><code>curl -u AC0123…:auth-token https://senderpools.example.com/v1/SenderPools</code></pre></section>",
        '<section id="errors"><h2 class="section">Errors</h2>',
        paragraphs(doc["components"]["schemas"]["ErrorEnvelope"]["description"]),
        errors_table(),
        _json(doc["components"]["schemas"]["ErrorEnvelope"]["examples"][0]),
        "</section>",
    ]
    for tag in doc["tags"]:
        name = tag["name"]
        nav.append(f"<h2>{html.escape(name)}</h2><ul>")
        main.append(f'<section id="tag-{name}"><h2 class="section">{html.escape(name)}</h2>')
        main.append(paragraphs(tag.get("description", "")))
        for path, method, operation in grouped[name]:
            nav.append(
                f'<li><a href="#{_anchor(operation)}"><span class="m {method}">{method.upper()}</span>'
                f"{inline(operation['summary'])}</a></li>"
            )
            main.append(endpoint_section(doc, path, method, operation))
        nav.append("</ul>")
        main.append("</section>")
    nav.append("<h2>Schemas</h2><ul>")
    main.append('<section id="schemas"><h2 class="section">Schemas</h2>')
    for schema_name, schema in doc["components"]["schemas"].items():
        nav.append(f'<li><a href="#schema-{schema_name}">{html.escape(schema_name)}</a></li>')
        main.append(schema_section(schema_name, schema))
    nav.append("</ul></nav>")
    main.append("</section></main>")
    return _page(f"{info['title']} API reference", "".join(nav) + "".join(main))


def error_html(code: int, base: str) -> str | None:
    error = BY_CODE.get(code)
    if error is None:
        return None
    example = {
        "errors": [
            {
                "code": error.code,
                "message": error.default_message,
                "infoUrl": error_docs_url(base, error.code),
                "context": "null",
            }
        ]
    }
    headers = "".join(
        f"<li><code>{html.escape(h)}</code>: {inline(openapi.HEADERS[h]['description'])}</li>" for h in error.headers
    )
    body = (
        f'<main><p><a href="/docs">&larr; API reference</a> &middot; <a href="/docs#errors">all errors</a></p>'
        f"<h1>Error {error.code}: {inline(error.title)}</h1>"
        f'<p><span class="status s{str(error.status)[0]}">{error.status}</span> HTTP status</p>'
        f"<h2>What it means</h2>{paragraphs(error.meaning)}"
        f"<h2>What to do</h2>{paragraphs(error.remedy)}"
        + (f"<h2>Response headers</h2><ul>{headers}</ul>" if headers else "")
        + f"<h2>Example response</h2>{_json(example)}</main>"
    )
    return _page(f"Error {error.code}: {error.title} - senderpools", body, "error-page")


# -- routes ----------------------------------------------------------------------------------------
async def openapi_json(request: Request, app: App) -> Response:
    return Response(openapi.document_bytes(app.endpoints))


async def docs_page(request: Request, app: App) -> Response:
    return Response(docs_html(app.endpoints).encode(), media_type=HTML)


async def error_page(request: Request, app: App) -> Response:
    raw = request.path_params["code"]
    base = app.base_url(request)
    page = error_html(int(raw), base) if raw.isascii() and raw.isdigit() and len(raw) <= 6 else None
    if page is None:
        return error_response(NotFound(f"There is no error code {raw}."), base)
    return Response(page.encode(), media_type=HTML)


routes = [
    PageRoute("GET", openapi.OPENAPI_PATH, openapi_json),
    PageRoute("GET", "/docs", docs_page),
    PageRoute("GET", "/docs/errors/{code}", error_page),
]
