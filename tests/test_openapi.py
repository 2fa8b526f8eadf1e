"""The served OpenAPI document and docs: valid, complete, and describing what the server really answers."""

from __future__ import annotations

import html
import importlib.metadata
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from starlette.testclient import TestClient

from senderpools.composition import create_app
from senderpools.config import Settings
from tests.conftest import Account, Server, make_settings

DOC_URI = "urn:senderpools:openapi"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
UNKNOWN_POOL = "/v1/SenderPools/comms_senderpool_01h9krwprkeee8fzqspvwy6nq8"
UNKNOWN_SENDER = "/v1/Senders/comms_sender_01h9krwprkeee8fzqspvwy6nq8"


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The document as served, fetched once for the static checks."""
    settings = make_settings(tmp_path_factory.mktemp("openapi"))
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        response = client.get("/openapi.json")
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def pointer(*parts: str) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        target: Any = document
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def walk(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (JSON pointer, value) in the document."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, path + pointer(str(key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{path}/{i}")


def embedded_schemas(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema the document embeds: components, parameters, headers, request and response bodies."""
    for name, schema in document["components"]["schemas"].items():
        yield pointer("components", "schemas", name), schema
    for where, value in walk(document):
        if where.startswith("/components/schemas"):
            continue
        if isinstance(value, dict) and isinstance(value.get("schema"), dict):
            yield where + "/schema", value["schema"]


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert method in METHODS, (path, method)
            yield path, method, operation


def is_page(document: dict[str, Any], operation: dict[str, Any]) -> bool:
    success = operation["responses"].get("200", {}).get("content", {}).get("application/json", {})
    return "pagination" in resolve(document, success.get("schema", {})).get("properties", {})


def served_operations() -> set[tuple[str, str]]:
    """(METHOD, path) of every API route mounted by default. HEAD is GET without the body, so it is implied."""
    return {(e.method, e.path) for e in create_app(Settings(database_url="sqlite://")).endpoints}


def validator(document: dict[str, Any], location: str) -> Draft202012Validator:
    """Validates against the schema at ``location`` (a JSON pointer), its $refs resolved within the document."""
    registry: Registry[Any] = Registry().with_resource(DOC_URI, DRAFT202012.create_resource(document))
    return Draft202012Validator(
        {"$ref": f"{DOC_URI}#{quote(location)}"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def fields(names: str) -> set[str]:
    return set(names.split())


# Fields each OpenAPI 3.1 object may carry (besides x- extensions), from the official 3.1 schema.
OPENAPI_FIELDS = {
    "document": fields("openapi info jsonSchemaDialect servers paths webhooks components security tags externalDocs"),
    "operation": fields(
        "tags summary description externalDocs operationId parameters requestBody responses callbacks deprecated "
        "security servers"
    ),
    "parameter": fields(
        "name in description required deprecated allowEmptyValue schema content style explode allowReserved "
        "example examples"
    ),
    "requestBody": fields("description content required"),
    "response": fields("description headers content links"),
    "header": fields("description required deprecated allowEmptyValue schema content style explode example examples"),
    "mediaType": fields("schema encoding example examples"),
}


def assert_fields(kind: str, node: dict[str, Any], where: str) -> None:
    extra = {key for key in node if not key.startswith("x-")} - OPENAPI_FIELDS[kind]
    assert not extra, f"{where}: {kind} cannot have {extra}"


class Contract:
    """Checks real responses against the document the server serves."""

    def __init__(self, server: Server) -> None:
        response = server.client.get("/openapi.json")
        assert response.status_code == 200
        self.document: dict[str, Any] = response.json()
        self.seen: set[tuple[str, str, int]] = set()

    def check(self, response: httpx.Response, template: str) -> httpx.Response:
        """Assert that ``response`` (to a request on the path ``template``) is one the document describes."""
        method = response.request.method.lower()
        operation = self.document["paths"][template][method]
        status = str(response.status_code)
        assert status in operation["responses"], f"{method.upper()} {template} answered undocumented {status}"
        where = pointer("paths", template, method, "responses", status)
        described = operation["responses"][status]
        if "$ref" in described:
            where = described["$ref"][1:]
            described = resolve(self.document, described)
        for name, header in described.get("headers", {}).items():
            if header.get("required"):
                assert name in response.headers, f"{method.upper()} {template} {status}: no {name} header"
        media = described.get("content", {}).get("application/json")
        if media is None:
            assert response.content == b"", response.content
        else:
            assert response.headers["content-type"].startswith("application/json")
            body = response.json()
            errors = [
                e.message
                for e in validator(self.document, where + "/content/application~1json/schema").iter_errors(body)
            ]
            assert not errors, (method.upper(), template, status, errors, body)
            if "x-error-code" in described:
                assert {e["code"] for e in body["errors"]} == {described["x-error-code"]}
        self.seen.add((method.upper(), template, response.status_code))
        return response

    def operations_seen(self) -> set[tuple[str, str]]:
        return {(method, template) for method, template, _ in self.seen}


@pytest.fixture
def contract(server: Server) -> Contract:
    return Contract(server)


# -- the document itself ---------------------------------------------------------------------------
def test_openapi_json_is_served_without_auth_as_openapi_3_1(server: Server) -> None:
    response = server.client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] == "senderpools"
    assert document["info"]["version"] == importlib.metadata.version("senderpools")
    assert document["security"] == [{"basicAuth": []}]
    scheme = document["components"]["securitySchemes"]["basicAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "basic")
    assert "AccountSid:AuthToken" in scheme["description"]
    assert "ApiKeySid:ApiKeySecret" in scheme["description"]


def test_document_objects_carry_only_openapi_3_1_fields(spec: dict[str, Any]) -> None:
    assert_fields("document", spec, "/")
    assert {"openapi", "info", "paths"} <= set(spec)
    responses = list(spec["components"]["responses"].values())
    for path, method, operation in operations(spec):
        assert_fields("operation", operation, f"{method} {path}")
        assert operation["responses"] and all(re.fullmatch(r"[1-5][0-9]{2}", s) for s in operation["responses"])
        responses += [r for r in operation["responses"].values() if "$ref" not in r]
        if "requestBody" in operation:
            assert_fields("requestBody", operation["requestBody"], f"{method} {path}")
            for media in operation["requestBody"]["content"].values():
                assert_fields("mediaType", media, f"{method} {path}")
    for parameter in (resolve(spec, p) for _, _, op in operations(spec) for p in op.get("parameters", ())):
        assert_fields("parameter", parameter, parameter["name"])
        assert parameter["in"] in ("query", "path", "header") and "schema" in parameter
    for response in responses:
        assert_fields("response", response, response["description"])
        assert isinstance(response["description"], str)
        for media in response.get("content", {}).values():
            assert_fields("mediaType", media, response["description"])
        for name, header in response.get("headers", {}).items():
            assert_fields("header", header, name)


def test_every_embedded_schema_is_a_valid_json_schema_2020_12(spec: dict[str, Any]) -> None:
    checked = 0
    for where, schema in embedded_schemas(spec):
        try:
            Draft202012Validator.check_schema(schema)
        except Exception as exc:  # name the schema that failed
            raise AssertionError(f"{where}: {exc}") from exc
        checked += 1
    assert checked > len(spec["components"]["schemas"])


ADDRESSES = [
    "+14155550100",
    "+1",
    "+1234567890123456",
    "14155550100",
    "+1 415 555 0100",
    "+14155550100\n",
    "a@example.com",
    "a@b",
    "a b@example.com",
    "a@@example.com",
    "x" * 250 + "@example.com",
    "a@example.com\n",
    "app-ios-001",
    "",
    "p" * 256,
    "p" * 257,
    "\u00e9t\u00e9@example.com",
]


def test_published_address_rules_judge_every_address_as_the_server_does(spec: dict[str, Any]) -> None:
    from senderpools.wire.fields import Channel

    rules = spec["components"]["schemas"]["Channel"]["x-addressRules"]
    assert set(rules) == {c.value for c in Channel}
    for channel in Channel:
        rule = rules[channel.value]
        for address in ADDRESSES:
            # the console reads the pattern as an ECMAScript RegExp without flags: `$` is the very end there,
            # so \Z is the Python reading of it
            pattern = rule["pattern"].removesuffix("$") + r"\Z" if "pattern" in rule else None
            fits = rule["minLength"] <= len(address) <= rule["maxLength"]
            fits = fits and (pattern is None or re.match(pattern, address) is not None)
            assert (None if fits else rule["problem"]) == channel.address_problem(address), (channel, address)


def test_patterns_the_server_reports_carry_their_meaning_in_words(spec: dict[str, Any]) -> None:
    words = {
        value["pattern"]: value["x-expected"]
        for _, value in walk(spec)
        if isinstance(value, dict) and isinstance(value.get("pattern"), str) and "x-expected" in value
    }
    assert words["^[a-zA-Z0-9._~-]+$"] == "letters, digits and . _ ~ -"  # tag keys and values
    assert words["^(SMS|RCS|EMAIL|WHATSAPP|PUSH|PHONE)$"] == "one of SMS, RCS, EMAIL, WHATSAPP, PUSH or PHONE"
    assert {"a sender ID", "a sender pool ID"} <= set(words.values())


def test_every_ref_resolves(spec: dict[str, Any]) -> None:
    refs = [(where, value["$ref"]) for where, value in walk(spec) if isinstance(value, dict) and "$ref" in value]
    assert refs
    for where, ref in refs:
        assert ref.startswith("#/"), (where, ref)
        resolve(spec, {"$ref": ref})  # raises KeyError when it dangles


def test_operation_ids_are_unique_and_every_path_parameter_is_declared(spec: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(spec)]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"(SenderPools|Senders|Events|EventSinks)_[a-z][A-Za-z]+", i) for i in ids), ids
    for path, method, operation in operations(spec):
        params = [resolve(spec, p) for p in operation.get("parameters", ())]
        in_path = {p["name"] for p in params if p["in"] == "path"}
        assert in_path == set(re.findall(r"{(\w+)}", path)), (method, path)
        assert all(p["required"] for p in params if p["in"] == "path")
        assert len({(p["name"], p["in"]) for p in params}) == len(params), (method, path)


def test_sdk_operation_ids_name_the_sender_pool_endpoints(spec: dict[str, Any]) -> None:
    ids = {(method.upper(), path): op["operationId"] for path, method, op in operations(spec)}
    assert ids[("GET", "/v1/SenderPools")] == "SenderPools_list"
    assert ids[("POST", "/v1/SenderPools/{senderPoolId}/Senders")] == "SenderPools_addSender"
    assert ids[("DELETE", "/v1/SenderPools/{senderPoolId}/Senders/{senderId}")] == "SenderPools_removeSender"
    assert ids[("GET", "/v1/SenderPools/Operations/{operationId}")] == "SenderPools_fetchOperation"


def test_documented_operations_are_exactly_the_served_routes(spec: dict[str, Any]) -> None:
    documented = {(method.upper(), path) for path, method, _ in operations(spec)}
    assert documented == served_operations()


def test_every_operation_documents_auth_rate_limit_and_server_errors(spec: dict[str, Any]) -> None:
    for path, method, operation in operations(spec):
        responses = operation["responses"]
        assert {"401", "429", "500", "503"} <= set(responses), (method, path)
        assert "Retry-After" in resolve(spec, responses["429"])["headers"]
        assert "Retry-After" in resolve(spec, responses["503"])["headers"]
        assert "WWW-Authenticate" in resolve(spec, responses["401"])["headers"]
        if "{" in path:
            assert "404" in responses, (method, path)
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= set(responses), (method, path)
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                assert response == {"$ref": response["$ref"]}
                assert resolve(spec, response)["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/ErrorEnvelope"
                }


def test_accepted_and_created_responses_document_location_headers(spec: dict[str, Any]) -> None:
    for path, method, operation in operations(spec):
        for status in ("201", "202"):
            if status in operation["responses"]:
                assert "Location" in operation["responses"][status]["headers"], (method, path)


def test_list_endpoints_document_pagination_parameters(spec: dict[str, Any]) -> None:
    lists = [(path, op) for path, method, op in operations(spec) if method == "get" and is_page(spec, op)]
    assert len(lists) == 8
    for path, operation in lists:
        params = {p["name"]: p for p in (resolve(spec, q) for q in operation["parameters"]) if p["in"] == "query"}
        assert params["pageSize"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50}, path
        assert "pageToken" in params, path
        # Items share their operation's creation time; sinks and their deliveries are not a time series.
        if path.endswith(("/Items", "/Deliveries", "/v1/EventSinks")):
            continue
        assert {"startDate", "endDate"} <= set(params), path
        assert params["startDate"]["schema"]["format"] == "date-time"


def test_request_bodies_are_the_schemas_the_server_validates_with(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    assert schemas["SenderRef"]["properties"]["senderId"]["pattern"].startswith("^comms_sender_")
    assert schemas["CreateSenderPoolRequest"]["properties"]["senders"]["maxItems"] == 10_000
    tags = schemas["CreateSenderPoolRequest"]["properties"]["tags"]
    assert tags["maxProperties"] == 10
    assert tags["additionalProperties"]["maxLength"] == 256
    add = spec["paths"]["/v1/SenderPools/{senderPoolId}/Senders"]["post"]["requestBody"]["content"]
    assert add["application/json"]["schema"]["anyOf"][0]["type"] == "array"


def test_every_example_matches_its_schema(spec: dict[str, Any]) -> None:
    examples = 0
    for name, schema in spec["components"]["schemas"].items():
        for example in schema.get("examples", ()):
            assert not list(validator(spec, pointer("components", "schemas", name)).iter_errors(example)), name
            examples += 1
    for path, method, operation in operations(spec):
        media = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
        if "example" in media:
            where = pointer("paths", path, method, "requestBody", "content", "application/json", "schema")
            assert not list(validator(spec, where).iter_errors(media["example"])), (method, path)
            examples += 1
    assert examples >= 10


# -- conformance: real answers match the document ---------------------------------------------------------
def test_sender_pool_endpoints_answer_as_documented(account: Account, contract: Contract) -> None:
    senders = account.register_senders(3)
    refs = [{"senderId": s["id"]} for s in senders]
    created = contract.check(
        account.post("/v1/SenderPools", json={"name": "p", "senders": refs[:2]}), "/v1/SenderPools"
    )
    operation_id = created.json()["operationId"]
    listed = account.get("/v1/SenderPools", params={"operationId": operation_id})
    pool_id = contract.check(listed, "/v1/SenderPools").json()["senderPools"][0]["id"]
    account.wait_operation(operation_id)
    pool = f"/v1/SenderPools/{pool_id}"
    contract.check(account.get(pool), "/v1/SenderPools/{senderPoolId}")
    contract.check(account.patch(pool, json={"tags": {"a": "b"}}), "/v1/SenderPools/{senderPoolId}")
    contract.check(account.get(f"{pool}/Senders", params={"channel": "SMS"}), "/v1/SenderPools/{senderPoolId}/Senders")
    added = contract.check(account.post(f"{pool}/Senders", json=refs[2:]), "/v1/SenderPools/{senderPoolId}/Senders")
    added_id = added.json()["operationId"]
    account.wait_operation(added_id)
    scoped = "/v1/SenderPools/{senderPoolId}/Senders/Operations/{operationId}"
    contract.check(account.get(f"{pool}/Senders/Operations/{added_id}"), scoped)
    contract.check(
        account.get(f"/v1/SenderPools/Operations/{operation_id}"), "/v1/SenderPools/Operations/{operationId}"
    )
    contract.check(account.get("/v1/SenderPools/Operations", params={"pageSize": 1}), "/v1/SenderPools/Operations")
    items = account.get(f"/v1/SenderPools/Operations/{operation_id}/Items", params={"outcome": "CREATED"})
    contract.check(items, "/v1/SenderPools/Operations/{operationId}/Items")
    member = "/v1/SenderPools/{senderPoolId}/Senders/{senderId}"
    contract.check(account.delete(f"{pool}/Senders/{senders[0]['id']}"), member)
    removing = account.post(f"{pool}/Senders/Remove", json=refs[1:])
    account.wait_operation(
        contract.check(removing, "/v1/SenderPools/{senderPoolId}/Senders/Remove").json()["operationId"]
    )
    summary = contract.check(account.get(f"{pool}/Summary"), "/v1/SenderPools/{senderPoolId}/Summary")
    unchanged = account.get(f"{pool}/Summary", headers={"If-None-Match": summary.headers["ETag"]})
    contract.check(unchanged, "/v1/SenderPools/{senderPoolId}/Summary")
    extended = account.get(pool, headers={"Senderpools-Extensions": "true"})
    contract.check(extended, "/v1/SenderPools/{senderPoolId}")
    contract.check(
        account.patch(pool, json={"deletionProtection": False}, headers={"If-Match": extended.headers["ETag"]}),
        "/v1/SenderPools/{senderPoolId}",
    )
    contract.check(account.delete(pool), "/v1/SenderPools/{senderPoolId}")
    assert {status for *_, status in contract.seen} == {200, 202, 304}
    # Cancel's 202 needs an operation held in PROCESSING: checked in test_items_and_cancel.py (test controls).
    cancel = ("POST", "/v1/SenderPools/Operations/{operationId}/Cancel")
    assert contract.operations_seen() | {cancel} == {
        op for op in served_operations() if op[1].startswith("/v1/SenderPools")
    }


def test_sender_pool_errors_answer_as_documented(account: Account, contract: Contract) -> None:
    pool_id, _ = account.create_pool(name="p")
    pool = f"/v1/SenderPools/{pool_id}"
    contract.check(account.get(UNKNOWN_POOL), "/v1/SenderPools/{senderPoolId}")
    contract.check(account.get("/v1/SenderPools/not-an-id"), "/v1/SenderPools/{senderPoolId}")
    contract.check(account.get("/v1/SenderPools", params={"pageSize": 0, "startDate": "x"}), "/v1/SenderPools")
    contract.check(account.get("/v1/SenderPools/Operations", params={"status": "DONE"}), "/v1/SenderPools/Operations")
    contract.check(account.post("/v1/SenderPools", json={"tags": {"bad key": "v"}}), "/v1/SenderPools")
    contract.check(account.patch(pool, json={}), "/v1/SenderPools/{senderPoolId}")
    xml = account.post(f"{pool}/Senders", content=b"<x/>", headers={"Content-Type": "application/xml"})
    contract.check(xml, "/v1/SenderPools/{senderPoolId}/Senders")
    contract.check(account.post(f"{pool}/Senders", json=[]), "/v1/SenderPools/{senderPoolId}/Senders")
    not_member = account.delete(f"{pool}/Senders/{UNKNOWN_SENDER.rsplit('/', 1)[1]}")
    contract.check(not_member, "/v1/SenderPools/{senderPoolId}/Senders/{senderId}")
    missing = "/v1/SenderPools/Operations/comms_operation_01h9krwprkeee8fzqspvwy6nq8"
    contract.check(account.get(missing), "/v1/SenderPools/Operations/{operationId}")
    finished = account.get("/v1/SenderPools/Operations").json()["operations"][0]["id"]
    cancel = "/v1/SenderPools/Operations/{operationId}/Cancel"
    contract.check(account.post(f"/v1/SenderPools/Operations/{finished}/Cancel"), cancel)
    contract.check(account.post(f"{missing}/Cancel"), cancel)
    contract.check(account.get(f"{missing}/Items"), "/v1/SenderPools/Operations/{operationId}/Items")
    contract.check(account.client.get("/v1/SenderPools"), "/v1/SenderPools")
    contract.check(account.get("/v1/SenderPools", params={"tag": "no-colon"}), "/v1/SenderPools")
    contract.check(account.get(f"{UNKNOWN_POOL}/Summary"), "/v1/SenderPools/{senderPoolId}/Summary")
    remove = "/v1/SenderPools/{senderPoolId}/Senders/Remove"
    contract.check(account.post(f"{pool}/Senders/Remove", json=[{"senderId": "x"}]), remove)
    contract.check(account.post(f"{UNKNOWN_POOL}/Senders/Remove", json=[]), remove)
    contract.check(
        account.patch(pool, json={"name": "q"}, headers={"If-Match": '"stale"'}), "/v1/SenderPools/{senderPoolId}"
    )
    contract.check(account.delete(pool, headers={"If-Match": '"stale"'}), "/v1/SenderPools/{senderPoolId}")
    account.patch(pool, json={"deletionProtection": True})
    contract.check(account.delete(pool), "/v1/SenderPools/{senderPoolId}")
    assert {status for *_, status in contract.seen} == {400, 401, 404, 409, 412, 415}


def test_sender_endpoints_answer_as_documented(account: Account, contract: Contract) -> None:
    one = contract.check(account.post("/v1/Senders", json={"address": "+14155550100", "channel": "SMS"}), "/v1/Senders")
    assert one.headers["Location"].endswith(f"/v1/Senders/{one.json()['id']}")
    many = [{"address": f"a{i}@example.com", "channel": "EMAIL", "displayName": None} for i in range(2)]
    contract.check(account.post("/v1/Senders", json=many), "/v1/Senders")
    sender = f"/v1/Senders/{one.json()['id']}"
    contract.check(account.get("/v1/Senders", params={"status": "ACTIVATED"}), "/v1/Senders")
    contract.check(account.get(sender), "/v1/Senders/{senderId}")
    contract.check(account.patch(sender, json={"displayName": "Support"}), "/v1/Senders/{senderId}")
    search = {"address": "+14155550100", "channel": "PHONE", "pageSize": 1}
    contract.check(account.post("/v1/Senders/Search", json=search), "/v1/Senders/Search")
    recipients = {"recipientAddresses": [{"address": "+14155550123", "channel": "PHONE"}]}
    resolved = contract.check(account.post("/v1/Senders/Resolve", json=recipients), "/v1/Senders/Resolve")
    assert resolved.json()["results"], resolved.json()
    smart = {**recipients, "geoMatch": True, "stickiness": "ACCOUNT", "skipUnhealthy": True, "explain": True}
    explained = contract.check(account.post("/v1/Senders/Resolve", json=smart), "/v1/Senders/Resolve")
    assert explained.json()["results"][0]["reasons"] and explained.json()["recipients"], explained.json()
    sticky, address = "/v1/Senders/StickySenders", {"address": "+14155550123"}
    assert contract.check(account.get(sticky, params=address), sticky).json()["mappings"]
    assert contract.check(account.delete(sticky, params=address), sticky).json() == {"deleted": 1}
    contract.check(account.delete(sender), "/v1/Senders/{senderId}")
    assert {status for *_, status in contract.seen} == {200, 201, 204}
    assert contract.operations_seen() == {op for op in served_operations() if op[1].startswith("/v1/Senders")}


def test_sender_errors_answer_as_documented(account: Account, contract: Contract) -> None:
    account.register_senders(1)
    contract.check(account.post("/v1/Senders", json=[{"address": "+14150000000", "channel": "SMS"}]), "/v1/Senders")
    contract.check(account.post("/v1/Senders", json={"address": "nope", "channel": "FAX"}), "/v1/Senders")
    contract.check(account.get(UNKNOWN_SENDER), "/v1/Senders/{senderId}")
    contract.check(account.patch(UNKNOWN_SENDER, json={"status": "DEACTIVATED"}), "/v1/Senders/{senderId}")
    contract.check(account.delete(UNKNOWN_SENDER), "/v1/Senders/{senderId}")
    contract.check(
        account.post("/v1/Senders/Search", content=b"{", headers={"Content-Type": "application/json"}),
        "/v1/Senders/Search",
    )
    resolve_body = {
        "recipientAddresses": [{"address": "+14155550123", "channel": "PHONE"}],
        "senderPoolId": UNKNOWN_POOL.rsplit("/", 1)[1],
    }
    contract.check(account.post("/v1/Senders/Resolve", json=resolve_body), "/v1/Senders/Resolve")
    contract.check(account.get("/v1/Senders", auth=httpx.BasicAuth(account.sid, "wrong")), "/v1/Senders")
    assert {status for *_, status in contract.seen} == {400, 401, 404, 409}


def test_rate_limited_and_oversized_requests_answer_as_documented(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, rate_limit=0.001, rate_burst=2, max_body_bytes=64)
    with TestClient(create_app(settings), base_url="http://testserver", raise_server_exceptions=False) as client:
        server = Server(client, settings)
        account, contract = server.new_account(), Contract(server)
        big = [{"senderId": "comms_sender_01h9krwprkeee8fzqspvwy6nq8"}] * 5
        contract.check(account.post(f"{UNKNOWN_POOL}/Senders", json=big), "/v1/SenderPools/{senderPoolId}/Senders")
        contract.check(account.post("/v1/SenderPools", json={"name": "x" * 100}), "/v1/SenderPools")
        limited = contract.check(account.get("/v1/Senders"), "/v1/Senders")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert {status for *_, status in contract.seen} == {404, 413, 429}


# -- human-readable docs ---------------------------------------------------------------------------
def test_docs_page_describes_every_endpoint_without_auth(server: Server) -> None:
    response = server.client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert page.startswith("<!doctype html>")
    document = server.client.get("/openapi.json").json()
    for path, _method, operation in operations(document):
        assert html.escape(path) in page, path
        assert operation["operationId"] in page
        assert html.escape(operation["summary"]) in page
    for name in document["components"]["schemas"]:
        assert f'id="schema-{name}"' in page
    assert "/docs/errors/20409" in page


def test_docs_page_is_self_contained(server: Server) -> None:
    page = server.client.get("/docs").text
    assert "<style>" in page
    assert not re.search(r"<(script|link|img)\b[^>]*\b(src|href)=", page), "the page must load nothing else"
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_error_pages_document_each_code_without_auth(server: Server) -> None:
    for code, status in [(20001, 400), (20003, 401), (20004, 405), (20404, 404), (20409, 409), (20413, 413)]:
        response = server.client.get(f"/docs/errors/{code}")
        assert response.status_code == 200, code
        assert response.headers["content-type"].startswith("text/html")
        assert f"Error {code}" in response.text
        assert f">{status}<" in response.text
    every_code = server.client.get("/openapi.json").json()["components"]["schemas"]["ErrorDetail"]["properties"]["code"]
    for code in every_code["enum"]:
        assert server.client.get(f"/docs/errors/{code}").status_code == 200, code


def test_info_url_of_a_real_error_leads_to_its_page(account: Account) -> None:
    error = account.get(UNKNOWN_POOL).json()["errors"][0]
    url = urlsplit(error["infoUrl"])
    assert (url.scheme, url.netloc, url.path) == ("http", "testserver", "/docs/errors/20404")
    page = account.client.get(url.path)
    assert page.status_code == 200
    assert "Error 20404: Not found" in page.text


def test_unknown_error_code_page_is_a_404_envelope(server: Server) -> None:
    for code in ("99999", "abc"):
        response = server.client.get(f"/docs/errors/{code}")
        assert response.status_code == 404
        assert response.json()["errors"][0]["code"] == 20404
