"""Running a declared endpoint: a handler bound to its declaration, and what the handler receives.

The edge does everything the declaration says, in one order, before the handler runs:

1. every ID in the path must match its pattern (else 404);
2. if the endpoint has a body, the resources the path names must exist (404 whatever the body);
3. query filters and paging parameters are read, every problem reported at once (400);
4. the body is read (413, 415) and decoded into its declared type (400, every problem at once);
5. for a list, the page token is checked against the list, the account and the filters.

The handler then speaks to the services in domain terms and returns the declared reply (a struct,
or JSON already rendered); the edge encodes it with the declared status. Domain errors reported by
position (``errors.Where``) become JSON paths here, where the body's layout is known.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from msgspec import inspect

from senderpools.config import Settings
from senderpools.errors import ApiError, FieldError, NotFound, PayloadTooLarge, UnsupportedMediaType
from senderpools.http import conditional, validation
from senderpools.http.asgi import Request, Response
from senderpools.http.edge import Edge
from senderpools.http.pagination import Page, epoch_ms, filter_values
from senderpools.http.query import QueryReader
from senderpools.http.render import error_response, reply
from senderpools.records import IfMatch
from senderpools.service import Services
from senderpools.wire.encoding import Rendered
from senderpools.wire.endpoints import Endpoint, PathParam
from senderpools.wire.fields import ListOrder
from senderpools.wire.queries import DateRange, PageParams
from senderpools.wire.replies import OperationReference, ResourceReference

Q = TypeVar("Q")
B = TypeVar("B")
R = TypeVar("R")

RawRule = Callable[[Any], list[FieldError]]
"""An endpoint's own rules, run over the raw JSON when the schema rejects a body, so that their
findings are reported in the same response (``validation.decode``)."""


class Call(Generic[Q, B]):
    """One request to a declared endpoint, parsed and authenticated: what a handler works with."""

    __slots__ = ("account", "actor", "body", "edge", "page", "query", "request", "response_headers", "single")

    def __init__(self, request: Request, account: str, edge: Edge, actor: str | None = None) -> None:
        self.request = request
        self.account = account
        self.actor = actor or account  # the SID of the credential presented: the account's, or an API key's
        self.edge = edge
        self.query: Q = None  # type: ignore[assignment]
        self.body: B = None  # type: ignore[assignment]
        self.single = False  # the body was one object standing for a one-item array
        self.page: Page = None  # type: ignore[assignment]  # set for list endpoints
        self.response_headers: list[tuple[str, str]] = []

    @property
    def services(self) -> Services:
        return self.edge.services

    @property
    def extended(self) -> bool:
        """Whether the client asked for senderpools' extension fields (``Senderpools-Extensions: true``)."""
        return self.request.extended

    @property
    def if_match(self) -> IfMatch | None:
        """The request's ``If-Match`` precondition (for endpoints declared ``if_match``)."""
        return conditional.if_match(self.request)

    def path(self, name: str) -> str:
        return self.request.path_params[name]

    def url(self, path: str) -> str:
        return self.edge.base_url(self.request) + path

    def items(self) -> list[Any]:
        """The body's items: a list body as it is, one object as a one-item list."""
        body: Any = self.body
        return body if isinstance(body, list) else [body]

    def located(self, path: str) -> None:
        """The reply names a resource at ``path`` (a ``Location`` header)."""
        self.response_headers.append(("Location", self.url(path)))

    def operation_accepted(self, operation_id: str, path: str) -> OperationReference:
        """A 202 for work an Operation at ``path`` tracks (also ``Operation-Id``/``-Location`` headers)."""
        location = self.url(path)
        self.response_headers += [
            ("Location", location),
            ("Operation-Id", operation_id),
            ("Operation-Location", location),
        ]
        return OperationReference(operation_id=operation_id, operation_location=location)

    def resource_accepted(self, resource_id: str, path: str) -> ResourceReference:
        """A 202 for a change applied to the resource at ``path`` (also a ``Resource-Location`` header)."""
        location = self.url(path)
        self.response_headers += [("Location", location), ("Resource-Location", location)]
        return ResourceReference(resource_id=resource_id, resource_location=location)


Handler = Callable[[Call[Q, B]], Awaitable[R | Rendered[R]]]


@dataclass(frozen=True, slots=True)
class Bound(Generic[Q, B, R]):
    """A declared endpoint with its handler."""

    endpoint: Endpoint[Q, B, R]
    handler: Handler[Q, B, R]
    raw_rule: RawRule | None = None

    async def run(self, call: Call[Q, B]) -> Response:
        """Parse, check, handle and render; every ApiError becomes the error envelope."""
        try:
            await self._prepare(call)
            result = await self.handler(call)
        except ApiError as error:
            return error_response(error, call.edge.base_url(call.request), self.endpoint.items, call.single)
        response = reply(self.endpoint.status, result, call.response_headers, call.extended)
        if not self.endpoint.etag:
            return response
        return conditional.tagged(call.request, response, result.etag if isinstance(result, Rendered) else None)

    async def _prepare(self, call: Call[Q, B]) -> None:
        endpoint, request, edge = self.endpoint, call.request, call.edge
        for param in endpoint.path_params:
            value = request.path_params[param.name]
            if _PATTERNS[param](value) is None:
                raise NotFound(f"{param.resource} {value} was not found.")
        if endpoint.body is not None:
            for param in endpoint.path_params:
                require = edge.services.requirement(param)
                if require is not None:
                    await require(call.account, request.path_params[param.name])
        pages = endpoint.pages
        if endpoint.query is not None or (pages is not None and not pages.in_body):
            q = QueryReader(request.query)
            dates = q.filters(DateRange) if pages is not None and pages.dated else DateRange()
            if dates.start_date and dates.end_date and dates.end_date <= dates.start_date:
                q.errors.append(FieldError("endDate must be later than startDate", "$.endDate"))
            if endpoint.query is not None:
                call.query = q.filters(endpoint.query)
            paging = q.filters(PageParams)
            q.finish()
        if endpoint.body is not None:
            call.body = await self._decode(call)
            call.single = endpoint.items == "$" and not isinstance(call.body, list)
        if pages is not None:
            if pages.in_body:
                body: Any = call.body
                paging = PageParams(page_token=body.page_token, page_size=body.page_size, order=body.order)
                dates, filters = DateRange(), filter_values(body, leave_out=_PAGING)
            else:
                filters = filter_values(call.query)
            # Oldest first is the default: asked for or not, a page token is bound to it as before `order` existed.
            newest = paging.order is ListOrder.NEWEST
            ordering = filter_values(PageParams(order=paging.order if newest else None), leave_out=_PAGING[:2])
            path_ids = (request.path_params[p.name] for p in endpoint.path_params)
            scope = (pages.scope, call.account, *path_ids, *filters, *ordering)
            call.page = edge.tokens.page(
                scope,
                paging.page_token,
                paging.page_size,
                epoch_ms(dates.start_date),
                epoch_ms(dates.end_date),
                newest_first=newest,
            )

    async def _decode(self, call: Call[Q, B]) -> Any:
        raw = await read_json_body(call.request, call.edge.settings)
        if not self.endpoint.body_required and not raw.strip():
            return self.endpoint.body()
        return validation.decode(raw, self.endpoint.body, self.raw_rule)


_PAGING = ("page_token", "page_size", "order")  # how to page, not what to list: bound apart from the filters


class _Patterns(dict[PathParam, Callable[[str], Any]]):
    """Each path parameter's pattern, compiled on first use."""

    def __missing__(self, param: PathParam) -> Callable[[str], Any]:
        info = inspect.type_info(param.type)
        if isinstance(info, inspect.Metadata):  # words for the pattern (x-expected) wrap it
            info = info.type
        assert isinstance(info, inspect.StrType) and info.pattern is not None, param
        found = self[param] = re.compile(info.pattern).search
        return found


_PATTERNS = _Patterns()


class Routes:
    """Handlers bound to their endpoint declarations (one module of them per resource family)."""

    def __init__(self) -> None:
        self.bound: list[Bound[Any, Any, Any]] = []

    def handles(
        self, endpoint: Endpoint[Q, B, R], raw_rule: RawRule | None = None
    ) -> Callable[[Handler[Q, B, R]], Handler[Q, B, R]]:
        def bind(handler: Handler[Q, B, R]) -> Handler[Q, B, R]:
            self.bound.append(Bound(endpoint, handler, raw_rule))
            return handler

        return bind


async def read_json_body(request: Request, settings: Settings) -> bytes:
    """The body, at most ``max_body_bytes`` (413, from ``Content-Length`` before reading when it is
    declared) arriving within ``body_timeout`` seconds (408), of a JSON media type (415; a body without
    ``Content-Type`` is read as JSON)."""
    if request.body is not None:
        return request.body
    limit = settings.max_body_bytes
    declared = request.header(b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The request body is larger than the {limit}-byte limit.")
    body = await request.read_body(limit, settings.body_timeout)
    content_type = request.header(b"content-type")
    if body and content_type is not None and not _is_json(content_type):
        raise UnsupportedMediaType()
    request.body = body
    return body


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))
