"""``baton review serve``: the review app for a study, with one link per rater and one for
the admin."""

from __future__ import annotations

import ipaddress
import math
import secrets
from pathlib import Path

import typer

from baton.cli._app import app, err_console
from baton.errors import BatonError, InputError
from baton.labelling import StudyStore, open_study
from baton.review import IssuedLink, QueueOptions, enrol_raters, issue_admin

review_app = typer.Typer(help="Collect human labels in a blinded review app.", no_args_is_help=True)
app.add_typer(review_app, name="review")


def _default_quota(opened: StudyStore, raters: int) -> int:
    """The label budget shared among the named raters, in whole screens."""
    per_screen = len(opened.study.models)
    share = opened.study.labels.budget / max(raters, 1)
    return math.ceil(share / per_screen) * per_screen


def _print_links(base: str, issued: list[IssuedLink], admin_token: str) -> None:
    for link in issued:
        if link.token is None:
            typer.echo(
                f"rater {link.rater.name}: keeps the link issued earlier (--reissue for a new one)"
            )
        else:
            typer.echo(f"rater {link.rater.name}: {base}/login?token={link.token}")
    typer.echo(f"admin: {base}/login?token={admin_token}")


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


@review_app.command("serve")
def serve(
    study: Path = typer.Argument(Path("study.yaml"), help="The study file."),
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
) -> int:
    """Serve the blinded review app: items come from the allocation (as `baton next`), a
    share is double-labelled, labels go to the study's store. Prints one link per new rater
    and a fresh admin link (tokens are stored hashed: a link cannot be shown again)."""
    try:
        from baton.web import ReviewServer, review_context
        from baton.web._server import ReviewWorkers, WorkerSpec
    except ImportError as error:
        raise BatonError(
            f"the review app needs {error.name}: pip install 'baton[review]'"
        ) from None
    opened = open_study(study)
    try:
        named = rater or [r.name for r in opened.store.review.raters() if r.role == "rater"]
        if not named:
            raise InputError("name the raters: --rater alice --rater bob", source="--rater")
        issued = enrol_raters(
            opened.store.review,
            named,
            quota=quota if quota is not None else _default_quota(opened, len(named)),
            reissue=reissue,
        )
        options = QueueOptions(
            double_fraction=double, batch_labels=batch, lease_s=lease_minutes * 60, seed=seed
        )
        server: ReviewServer | ReviewWorkers
        if workers > 1:
            spec = WorkerSpec(study.resolve(), options, secrets.token_bytes(32))
            server = ReviewWorkers(spec, opened, workers=workers, host=host, port=port)
        else:
            server = ReviewServer(review_context(opened, options), host=host, port=port)
        _print_links(server.url, issued, issue_admin(opened.store.review))
        if not _is_loopback(host):
            err_console.print(
                "[yellow]warning:[/] serving plain HTTP beyond this machine: put it behind "
                "TLS (a reverse proxy) so the links' tokens cannot be read on the network"
            )
        server.serve()
    finally:
        opened.store.close()
    return 0
