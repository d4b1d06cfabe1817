"""`aduan serve`: web app, channel pollers and the outbox worker in one process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

import uvicorn

from aduan.api.app import Background, create_app
from aduan.complaints.receipts import Intake
from aduan.logs import mask_every_handler
from aduan.runtime import Runtime
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


def server_config(app: Any, host: str, port: int, loop: str = "auto", http: str = "auto") -> Any:
    """The uvicorn config `aduan serve` (and the benchmarks' bare endpoint) runs with."""
    if loop not in LOOPS or http not in PARSERS:
        raise ValueError(f"loop must be one of {LOOPS}, http one of {PARSERS}")
    return uvicorn.Config(app, host=host, port=port, loop=loop, http=http, **UVICORN_SETTINGS)


def io_report(loop: str, http: str) -> str:
    """Which event loop and HTTP parser `auto` comes to, as the startup report says."""
    return f"event loop: {_resolve(loop, 'uvloop', 'asyncio')}, HTTP parser: " + _resolve(
        http, "httptools", "h11"
    )


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


def run_server(
    runtime: Runtime,
    host: str,
    port: int,
    echo: Callable[[str], None] = print,
    loop: str = "auto",
    http: str = "auto",
) -> None:
    env = runtime.environment.variables
    serving = {k: v for k, v in runtime.config.channels.items() if k != "console"}
    adapters, statuses = build_adapters(serving, env)
    senders = senders_for(adapters, env)
    senders[MEDIA] = media_sender(runtime.engine, adapters, runtime.config.media, runtime.ctx)
    for line in startup_report(runtime, statuses, senders):
        echo(line)
    given_up = {MEDIA: media_given_up(runtime.ctx)}
    worker = OutboxWorker(
        runtime.engine, senders, runtime.ctx.settings, clock=runtime.ctx.clock, given_up=given_up
    )
    background: list[Background] = [
        worker.run_forever,
        SlaTimer(runtime.engine, runtime.ctx).run_forever,
    ]
    for name, adapter in adapters.items():
        if isinstance(adapter, Poller):
            background.append(
                _poll_forever(adapter, Intake(runtime.engine, runtime.pipeline, name))
            )
    app = create_app(runtime, adapters, background)
    echo(f"  {io_report(loop, http)}")
    echo(f"Listening on http://{host}:{port} (health: /health, API docs: /docs)")
    # Configures logging. X-Forwarded-For is read by the app, from http.trusted_proxies only.
    config = server_config(app, host, port, loop, http)
    mask_every_handler()
    uvicorn.Server(config).run()  # on the chosen loop
