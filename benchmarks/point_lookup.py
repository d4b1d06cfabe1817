"""GPS point -> kecamatan/desa: `Boundaries.locate` next to a plain scan of every polygon.

The boundary file is made up: a regency-sized square cut into 31 kecamatan, each cut into 9
desa, every polygon's edges wiggled to 400 vertices (real boundaries are that detailed or
more). Ours is the STRtree of prepared polygons; the reference tests each polygon in turn with
shapely's `covers` (unprepared), as a first version would. Both answer the same random points,
in interleaved rounds; each figure is the best round.

Run from the repository root:  .venv/bin/python -m benchmarks.point_lookup
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import tempfile
import time
from pathlib import Path

import shapely
from shapely.geometry import Point, Polygon, mapping

from aduan.areas.boundaries import Boundaries

WEST, SOUTH, SIZE = 107.3, -7.3, 0.6  # about 65 km square


def wiggled(x0: float, y0: float, w: float, h: float, vertices: int) -> Polygon:
    """A w x h cell whose border wobbles a little (neighbours overlap or gap by a hair)."""
    points = []
    for i in range(vertices):
        t = i / vertices * 4
        side, f = int(t), t - int(t)
        x, y = [
            (x0 + f * w, y0),
            (x0 + w, y0 + f * h),
            (x0 + w - f * w, y0 + h),
            (x0, y0 + h - f * h),
        ][side]
        wobble = 0.002 * w * math.sin(i * 0.7)
        points.append((x + wobble, y + wobble))
    return Polygon(points)


def boundary_file(path: Path, vertices: int) -> list[Polygon]:
    features, shapes = [], []
    cell = SIZE / 6
    for k in range(31):
        kx, ky = WEST + (k % 6) * cell, SOUTH + (k // 6) * cell
        kec = wiggled(kx, ky, cell, cell, vertices)
        shapes.append(kec)
        code = f"32.04.{k + 1:02d}"
        features.append({"type": "Feature", "properties": {"code": code}, "geometry": mapping(kec)})
        for d in range(9):
            sub = cell / 3
            desa = wiggled(kx + (d % 3) * sub, ky + (d // 3) * sub, sub, sub, vertices)
            shapes.append(desa)
            features.append(
                {
                    "type": "Feature",
                    "properties": {"code": f"{code}.{2001 + d}"},
                    "geometry": mapping(desa),
                }
            )
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return shapes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--vertices", type=int, default=400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "batas.geojson"
        shapes = boundary_file(path, args.vertices)
        started = time.perf_counter()
        boundaries = Boundaries.read(path)
        loaded = time.perf_counter() - started
    rng = random.Random(17)
    points = [
        (SOUTH + rng.random() * SIZE * 1.1, WEST + rng.random() * SIZE * 1.1)
        for _ in range(args.points)
    ]
    plain = [shapely.from_wkb(shapely.to_wkb(s)) for s in shapes]  # unprepared copies

    def ours() -> int:
        return sum(boundaries.locate(lat, lon) is not None for lat, lon in points)

    def scan() -> int:
        return sum(any(s.covers(Point(lon, lat)) for s in plain) for lat, lon in points)

    best = {"locate": math.inf, "scan": math.inf}
    found = {}
    for _ in range(args.rounds):
        for name, run in (("locate", ours), ("scan", scan)):
            started = time.perf_counter()
            found[name] = run()
            best[name] = min(best[name], time.perf_counter() - started)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"{len(shapes)} polygons of {args.vertices} vertices;"
        f" file read and indexed in {loaded:.2f} s"
    )
    print(f"points inside a polygon: locate {found['locate']}, scan {found['scan']}")
    for name in ("locate", "scan"):
        print(f"{name:7} {args.points / best[name]:>10,.0f} points/s")
    print(f"speed-up {best['scan'] / best['locate']:.1f}x")


if __name__ == "__main__":
    main()
