"""``baton review serve``: the review app for a study, with one link per rater and one for
the admin."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from baton.cli._app import STORE_OPTION, STUDY_ARGUMENT, app, err_console
from baton.errors import BatonError
from baton.review import QueueOptions
from baton.steps import check as check_study

if TYPE_CHECKING:
    from baton.web import ReviewLaunch

review_app = typer.Typer(help="Collect human labels in a blinded review app.", no_args_is_help=True)
app.add_typer(review_app, name="review")


def _print_links(launch: ReviewLaunch) -> None:
    base = launch.url
    for link in launch.issued:
        if link.token is None:
            typer.echo(
                f"rater {link.rater.name}: keeps the link issued earlier (--reissue for a new one)"
            )
        else:
            typer.echo(f"rater {link.rater.name}: {base}/login?token={link.token}")
    typer.echo(f"admin: {base}/login?token={launch.admin_token}")


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


@review_app.command("serve")
def serve(
    study: Path = STUDY_ARGUMENT,
    rater: list[str] = typer.Option(
        [], "--rater", help="A rater to enrol or update (repeatable); new raters get a link."
    ),
    quota: int | None = typer.Option(
        None, min=0, help="Labels each named rater is asked for (default: the budget shared)."
    ),
    double: float = typer.Option(
        0.1, min=0.0, max=1.0, help="Share of items labelled by a second rater, for agreement."
    ),
    batch: int = typer.Option(40, min=1, help="Labels drawn from the allocation per refill."),
    lease_minutes: float = typer.Option(
        30.0, min=0.1, help="Minutes after which an unfinished item may go to someone else."
    ),
    reissue: bool = typer.Option(False, help="New links for the named raters (old ones end)."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8765, min=0, max=65535, help="Port (0: any free one)."),
    seed: int = typer.Option(0, help="Seed of the allocation and the presentation order."),
    workers: int = typer.Option(
        1,
        min=1,
        help="Server processes sharing the port, for more requests at once on several "
        "cores (each connects to the store itself; this process keeps the queue filled).",
    ),
    store: str | None = STORE_OPTION,
) -> int:
    """Serve the blinded review app: items come from the allocation (as `baton next`), a
    share is double-labelled, labels go to the study's store. Prints one link per new rater
    and a fresh admin link (tokens are stored hashed: a link cannot be shown again)."""
    try:
        from baton.web import ServeOptions, serve_review
    except ImportError as error:
        raise BatonError(
            f"the review app needs {error.name}: pip install 'baton-migrate[review]'"
        ) from None
    for warning in check_study(study).warnings:
        err_console.print(f"[yellow]warning:[/] {warning}", soft_wrap=True)
    if not _is_loopback(host):
        err_console.print(
            "[yellow]warning:[/] serving plain HTTP beyond this machine: put it behind "
            "TLS (a reverse proxy) so the links' tokens cannot be read on the network"
        )
    options = ServeOptions(
        raters=tuple(rater),
        quota=quota,
        reissue=reissue,
        host=host,
        port=port,
        workers=workers,
        store=store,
        queue=QueueOptions(
            double_fraction=double, batch_labels=batch, lease_s=lease_minutes * 60, seed=seed
        ),
    )
    serve_review(study, options, on_ready=_print_links)
    return 0
