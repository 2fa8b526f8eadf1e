"""``senderpools operations``: sender pool operations on a server."""

from __future__ import annotations

from typing import Annotated

import typer

from senderpools.cli.remote.session import (
    EndDate,
    Limit,
    Newest,
    OperationsProgress,
    Session,
    StartDate,
    Timeout,
    api_command,
    details,
    operations_table,
    order_of,
    page_size,
    progress_bar,
    take,
)
from senderpools.wire.fields import OperationStatus, OperationType

app = typer.Typer(help="Sender pool operations: list, show, wait.", no_args_is_help=True)


# -- operations ----------------------------------------------------------------------------------------
@api_command(app, "list")
def operations_list(
    session: Session,
    status: Annotated[OperationStatus | None, typer.Option(help="Only this status.")] = None,
    pool: Annotated[str | None, typer.Option("--pool", help="Only operations about this pool.")] = None,
    kind: Annotated[OperationType | None, typer.Option("--type", help="Only operations of this type.")] = None,
    start_date: StartDate = None,
    end_date: EndDate = None,
    newest: Newest = False,
    limit: Limit = None,
) -> None:
    """List sender pool operations, oldest first."""
    pager = session.client.sender_pools.list_operations(
        status=status,
        sender_pool_id=pool,
        type=kind,
        start_date=start_date,
        end_date=end_date,
        order=order_of(newest),
        page_size=page_size(limit),
    )
    session.emit(take(pager, limit), operations_table)


@api_command(app, "show")
def operations_show(session: Session, operation_id: Annotated[str, typer.Argument(help="The operation ID.")]) -> None:
    """Show one operation."""
    session.emit(session.client.sender_pools.fetch_operation(operation_id), details)


@api_command(app, "wait")
def operations_wait(
    session: Session,
    operation_id: Annotated[str, typer.Argument(help="The operation ID.")],
    timeout: Timeout = 600.0,
) -> None:
    """Wait for an operation to finish, with a progress bar of its stats; then show it."""
    first = session.client.sender_pools.fetch_operation(operation_id)
    with progress_bar(session.err) as progress:
        bar = OperationsProgress(progress, "Operation", first.stats.total)
        operation = session.client.sender_pools.wait_operation(operation_id, timeout=timeout, on_progress=bar.update)
    session.emit(operation, details)
