"""`aduan serve`: the web app, channel pollers and the outbox worker, in one process or split.

Roles: `all` (one process does everything), `web` (HTTP only, in one or several processes on
one port) and `worker` (outbox, SLA timer and pollers, no listener: `aduan.worker_role`).
See docs/scaling.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import uvicorn

from aduan.api.app import Background, create_app
from aduan.complaints.receipts import Intake
from aduan.logs import configure_logging, mask_every_handler
from aduan.runtime import Runtime, build_runtime
from aduan.worker_role import HEARTBEAT_SECONDS, run_worker
from channels.contract import Adapter, Poller
from channels.registry import ChannelStatus, build_adapters
from dispatch.destinations import outbox_target
from dispatch.media import KIND as MEDIA
from dispatch.media import media_given_up, media_sender
from dispatch.media_store import StoreUnavailable, describe_store
from dispatch.outbox import OutboxWorker, Sender
from dispatch.senders import destination_senders
from dispatch.sla import SlaTimer

log = logging.getLogger("aduan.serve")

# benchmarks/intake.py serves its bare baseline with these too.
UVICORN_SETTINGS: dict[str, Any] = {"log_level": "info", "proxy_headers": False}
LOOPS = ("auto", "asyncio", "uvloop")  # auto: uvloop when installed, else asyncio's own
PARSERS = ("auto", "h11", "httptools")  # auto: httptools when installed, else h11
ROLES = ("all", "web", "worker")  # all: web and worker in one process, as before roles
CONFIG_ENV = "ADUAN_CONFIG"  # the web processes of `--processes N` read their config file here
WEB_APP = "aduan.serve:web_app"  # ... and build their app with this factory


def server_config(
    app: Any, host: str, port: int, loop: str = "auto", http: str = "auto", **more: Any
) -> Any:
    """The uvicorn config `aduan serve` (and the benchmarks' bare endpoint) runs with."""
    if loop not in LOOPS or http not in PARSERS:
        raise ValueError(f"loop must be one of {LOOPS}, http one of {PARSERS}")
    return uvicorn.Config(
        app, host=host, port=port, loop=loop, http=http, **UVICORN_SETTINGS, **more
    )


def io_report(loop: str, http: str) -> str:
    """Which event loop and HTTP parser `auto` comes to, as the startup report says."""
    return f"event loop: {_resolve(loop, 'uvloop', 'asyncio')}, HTTP parser: " + _resolve(
        http, "httptools", "h11"
    )


def loop_factory(loop: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The event loop `loop` comes to, for a process without uvicorn (None: asyncio's own)."""
    if _resolve(loop, "uvloop", "asyncio") != "uvloop":
        return None
    import uvloop

    return uvloop.new_event_loop


def _resolve(choice: str, fast: str, fallback: str) -> str:
    if choice != "auto":
        return choice
    try:
        __import__(fast)
    except ImportError:
        return fallback
    return fast


def senders_for(adapters: Mapping[str, Adapter], env: Mapping[str, str]) -> dict[str, Sender]:
    """One sender per outbox target: every active channel and every usable OPD destination."""
    senders: dict[str, Sender] = {}
    for name, adapter in adapters.items():
        senders[name] = _channel_sender(adapter)
    senders.update(destination_senders(env))
    return senders


def _channel_sender(adapter: Adapter) -> Sender:
    from channels.message import OutboundMessage, SendResult

    async def send(payload: dict[str, Any]) -> SendResult:
        fields = {k: v for k, v in payload.items() if k in OutboundMessage.model_fields}
        return await adapter.send(OutboundMessage.model_validate(fields))

    return send


def _poll_forever(adapter: Poller, intake: Intake) -> Background:
    """Run a channel's poller; if it crashes, log it and start it again after a pause."""

    async def run(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await adapter.poll(intake, stop)
            except Exception:
                log.exception("poller %s crashed; restarting in 5 s", intake.channel)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 5)

    return run


def startup_report(
    runtime: Runtime, statuses: list[ChannelStatus], senders: Mapping[str, Sender]
) -> list[str]:
    lines = [f"Aduan for {runtime.config.instance.name}; database: {runtime.engine.url!r}"]
    for status in statuses:
        lines.append(
            f"  channel {status.name:<16} {'on' if status.active else 'off: ' + status.reason}"
        )
    # Chat destinations travel on channels, which are reported above.
    kinds = sorted(
        {d.kind for opd in runtime.config.opds.values() for d in opd.destinations} - {"chat"}
    )
    for kind in kinds:
        on = outbox_target(kind) in senders
        state = "on" if on else "off: set ADUAN_SMTP_HOST (items wait in the outbox)"
        lines.append(f"  OPD destinations {kind:<7} {state}")
    lines.append(f"  media store      {media_store_state(runtime)}")
    return lines


def media_store_state(runtime: Runtime) -> str:
    """Where attachments are kept, and whether that store answers now (it may come later)."""
    where = describe_store(runtime.config.media)
    store = runtime.ctx.media_store
    try:
        if store is not None:
            store.check()
    except StoreUnavailable as exc:
        return f"{where}: not usable now ({exc}); attachments wait in the outbox"
    return where


def channel_senders(
    runtime: Runtime,
) -> tuple[dict[str, Adapter], list[ChannelStatus], dict[str, Sender]]:
    """The serving channels' adapters and statuses, and a sender for every outbox target."""
    env = runtime.environment.variables
    serving = {k: v for k, v in runtime.config.channels.items() if k != "console"}
    adapters, statuses = build_adapters(serving, env)
    senders = senders_for(adapters, env)
    senders[MEDIA] = media_sender(runtime.engine, adapters, runtime.config.media, runtime.ctx)
    return adapters, statuses, senders


def worker_jobs(
    runtime: Runtime, adapters: Mapping[str, Adapter], senders: Mapping[str, Sender]
) -> list[Background]:
    """What the worker role runs: the outbox worker, the SLA timer and the channel pollers."""
    given_up = {MEDIA: media_given_up(runtime.ctx)}
    worker = OutboxWorker(
        runtime.engine, senders, runtime.ctx.settings, clock=runtime.ctx.clock, given_up=given_up
    )
    jobs: list[Background] = [worker.run_forever, SlaTimer(runtime.engine, runtime.ctx).run_forever]
    for name, adapter in adapters.items():
        if isinstance(adapter, Poller):
            jobs.append(_poll_forever(adapter, Intake(runtime.engine, runtime.pipeline, name)))
    return jobs


def scale_notes(runtime: Runtime, role: str, processes: int) -> list[str]:
    """What the start-up report says about the role, and about SQLite when it is split."""
    parts = {
        "all": "web app, outbox worker, SLA timer and pollers in this process",
        "web": f"web only, {processes} process(es): no outbox worker, SLA timer or pollers "
        "(run `aduan serve --role worker` beside it)",
        "worker": "outbox worker, SLA timer and pollers; no HTTP listener",
    }
    lines = [f"  role             {role}: {parts[role]}"]
    if runtime.engine.dialect.name == "sqlite" and (role != "all" or processes > 1):
        lines.append(
            "  note: several processes on one SQLite file take turns on its single writer "
            "lock; that is fine for a small deployment, but scale out on PostgreSQL "
            "(docs/scaling.md)"
        )
    return lines


def run_server(
    runtime: Runtime,
    host: str,
    port: int,
    echo: Callable[[str], None] = print,
    loop: str = "auto",
    http: str = "auto",
    role: str = "all",
    processes: int = 1,
    config_path: Path | None = None,
    heartbeat_seconds: float = HEARTBEAT_SECONDS,
) -> None:
    """Serve `role` (see ROLES); `processes` > 1 web processes need `config_path` to rebuild."""
    if role not in ROLES or processes < 1 or (processes > 1 and role != "web"):
        raise ValueError(f"role must be one of {ROLES}; several processes only for web")
    adapters, statuses, senders = channel_senders(runtime)
    for line in [
        *startup_report(runtime, statuses, senders),
        *scale_notes(runtime, role, processes),
    ]:
        echo(line)
    if role == "worker":
        echo(f"  event loop: {_resolve(loop, 'uvloop', 'asyncio')}")
        jobs = worker_jobs(runtime, adapters, senders)
        run_worker(runtime, jobs, echo, loop_factory(loop), heartbeat_seconds)
        return
    echo(f"  {io_report(loop, http)}")
    echo(f"Listening on http://{host}:{port} (health: /health, API docs: /docs)")
    if processes > 1:
        assert config_path is not None
        runtime.engine.dispose()  # each web process opens its own connections
        _run_web_processes(config_path, host, port, loop, http, processes)
        return
    background = worker_jobs(runtime, adapters, senders) if role == "all" else []
    app = create_app(runtime, adapters, background)
    # Configures logging. X-Forwarded-For is read by the app, from http.trusted_proxies only.
    config = server_config(app, host, port, loop, http)
    mask_every_handler()
    uvicorn.Server(config).run()  # on the chosen loop


def _run_web_processes(
    config_path: Path, host: str, port: int, loop: str, http: str, processes: int
) -> None:
    """`processes` uvicorn workers on one listening socket, each building `web_app` itself;
    uvicorn's supervisor restarts one that dies and stops them all on SIGTERM."""
    os.environ[CONFIG_ENV] = str(config_path.resolve())  # read by the spawned processes
    settings = {"loop": loop, "http": http, **UVICORN_SETTINGS}
    uvicorn.run(WEB_APP, host=host, port=port, factory=True, workers=processes, **settings)


def web_app() -> Any:
    """The web role's app in one of several web processes (the parent migrated the database)."""
    configure_logging()
    runtime = build_runtime(os.environ[CONFIG_ENV])
    adapters, _, _ = channel_senders(runtime)
    log.info("web process %s ready", os.getpid())
    return create_app(runtime, adapters)
