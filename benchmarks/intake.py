"""Intake speed: complaints per second stored and acknowledged through the web channel.

Starts `aduan serve` on a fresh SQLite file (or ADUAN_DATABASE_URL) and a bare FastAPI endpoint
served the same way, then for each: (1) throughput under `wrk` (Debian package `wrk`; a Python
load generator saturates before the server does), every request a new complaint, (2) latency
percentiles at a fixed request rate. Prints the figures and the ratio.

    .venv/bin/python -m benchmarks.intake [--seconds 10] [--rate 200] [--connections 32]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
TEXTS = [
    "Jalan berlubang besar di Jl. Merdeka blok {n}, motor sering jatuh",
    "Sampah menumpuk di TPS pasar blok {n} sudah seminggu belum diangkut",
    "Lampu jalan mati di gang mawar nomor {n} sudah tiga malam",
    "Banjir setinggi lutut di perumahan griya blok {n} sejak subuh",
    "Air PDAM tidak mengalir ke rumah nomor {n} sejak kemarin",
]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(command: list[str], env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{command} did not start")


def body(n: int, tag: str) -> dict[str, str]:
    # Anonymous, as a public form posts: a fresh citizen per request.
    return {"text": TEXTS[n % 5].format(n=n)}


async def closed_loop(url: str, requests: int, concurrency: int, tag: str) -> float:
    queue = iter(range(requests))
    failures = 0

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal failures
        for n in queue:
            response = await client.post(f"{url}/api/v1/web/messages", json=body(n, tag))
            failures += response.status_code not in (200, 201)  # filed, joined or linked

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{failures} requests failed")
    return requests / elapsed


async def fixed_rate(url: str, rate: float, seconds: float, tag: str) -> list[float]:
    latencies: list[float] = []

    async def one(client: httpx.AsyncClient, n: int) -> None:
        started = time.perf_counter()
        response = await client.post(f"{url}/api/v1/web/messages", json=body(n, tag))
        response.raise_for_status()
        latencies.append((time.perf_counter() - started) * 1000)

    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=500), timeout=30) as client:
        tasks = []
        started = time.perf_counter()
        for n in range(int(rate * seconds)):
            delay = started + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(client, n)))
        await asyncio.gather(*tasks)
    return latencies


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=1000)[int(p * 10) - 1]


WRK_SCRIPT = """
counter = 0
request = function()
  counter = counter + 1
  local id = counter .. "-" .. math.random(1000000000)
  local body = '{"text":"Lampu jalan mati di '
    .. 'gang mawar nomor ' .. counter .. ' sudah tiga malam, kode ' .. id .. '"}'
  return wrk.format("POST", "/api/v1/web/messages", {["Content-Type"]="application/json"}, body)
end
"""


def wrk_throughput(url: str, seconds: float, connections: int) -> tuple[float, str]:
    """Requests per second under wrk, and wrk's non-2xx line if any requests failed."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s", "-s", script.name, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(script.name)
    rate = float(
        next(line.split()[1] for line in output.splitlines() if line.startswith("Requests/sec"))
    )
    failed = next((line.strip() for line in output.splitlines() if "Non-2xx" in line), "")
    return rate, failed


def measure(name: str, url: str, args: argparse.Namespace) -> float:
    asyncio.run(closed_loop(url, 200, 16, f"{name}-warm"))
    throughput, failed = wrk_throughput(url, args.seconds, args.connections)
    latencies = asyncio.run(fixed_rate(url, args.rate, args.seconds, f"{name}-lat"))
    print(
        f"{name:<14} {throughput:8.0f} req/s under wrk ({args.connections} connections)"
        f"{'; ' + failed if failed else ''}; at {args.rate:.0f} req/s: "
        f"p50 {percentile(latencies, 50):.1f} ms, p99 {percentile(latencies, 99):.1f} ms"
    )
    return throughput


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        env.setdefault("ADUAN_DATABASE_URL", f"sqlite:///{tmp}/bench.db")
        aduan, aduan_url = start(
            [sys.executable, "-m", "aduan", "serve", "--config", str(ROOT / "config.yaml")],
            env,
            Path(tmp),
        )
        bare, bare_url = start(
            [sys.executable, "-m", "uvicorn", "benchmarks.bare_app:app", "--log-level", "warning"],
            env,
            ROOT,
        )
        try:
            print(f"database: {env['ADUAN_DATABASE_URL'].split('://')[0]}, cores: {os.cpu_count()}")
            complaints = measure("aduan intake", aduan_url, args)
            baseline = measure("bare endpoint", bare_url, args)
            print(f"ratio aduan/bare: {complaints / baseline:.2f}")
        finally:
            for process in (aduan, bare):
                process.terminate()
                process.wait()


if __name__ == "__main__":
    main()
