"""Loading a large JPEG at report size: misyn-lab's bounded decoding vs full decoding + scikit-image resize.

Usage: ``python benchmarks/bench_decode.py [--quick]``. The image is a 7999×7999 RGB JPEG (``--quick``: 4000×4000)
made of smooth random texture; the target is the report's 32×32 grey size.

* ours: ``misyn_lab.imagesets.load_images(path, size=(32, 32), grey=True)`` — Pillow ``draft`` decodes the JPEG at
  1/8 scale, ``Image.reduce`` box-shrinks to at least twice the target, then the loader's usual anti-aliased resize.
* peer: Pillow decodes every pixel (``Image.open(path).convert("RGB")``), luminance, then
  ``skimage.transform.resize`` with ``anti_aliasing=True`` to 32×32 (what the loader did before, and what a plain
  script does). Imports happen before the clock starts.

Each measurement runs in a fresh subprocess (peak memory = that process's ``ru_maxrss``). A full run writes
``benchmarks/results/decode.md``. Both images are compared (mean absolute difference on the 0..1 scale).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = r"""
import json, resource, sys, time
import numpy as np
path, how = sys.argv[1], sys.argv[2]
if how == "ours":
    from misyn_lab.imagesets import load_images
else:
    from PIL import Image
    from skimage.transform import resize
start = time.perf_counter()
if how == "ours":
    img = load_images(path, size=(32, 32), grey=True).images[0]
else:
    rgb = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0
    grey = rgb @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)
    img = np.clip(resize(grey, (32, 32), order=1, anti_aliasing=True), 0.0, 1.0)
seconds = time.perf_counter() - start
np.save(sys.argv[3], np.asarray(img, dtype=np.float64))
print(json.dumps({"seconds": seconds, "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def make_jpeg(path: Path, side: int) -> None:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    base = Image.fromarray((rng.random((side // 32, side // 32, 3)) * 255).astype(np.uint8))
    base.resize((side, side), Image.Resampling.BICUBIC).save(path, quality=85)


def measure(path: Path, how: str, out: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", CHILD, str(path), how, str(out)], capture_output=True, text=True,
                          check=True, timeout=1800)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> int:
    import numpy as np

    quick = "--quick" in argv
    side = 4000 if quick else 7999
    with tempfile.TemporaryDirectory() as tmp:
        jpeg = Path(tmp) / "big.jpg"
        make_jpeg(jpeg, side)
        ours = measure(jpeg, "ours", Path(tmp) / "ours.npy")
        peer = measure(jpeg, "peer", Path(tmp) / "peer.npy")
        diff = float(np.abs(np.load(Path(tmp) / "ours.npy") - np.load(Path(tmp) / "peer.npy")).mean())
    load = os.getloadavg()[0]
    table = "\n".join([
        f"# Large JPEG at report size ({side}×{side} RGB -> 32×32 grey)",
        "",
        "| implementation | seconds | peak RSS MiB |",
        "|---|---|---|",
        f"| misyn-lab `load_images(size=(32, 32), grey=True)` (draft + reduce) | {ours['seconds']:.2f} | "
        f"{ours['rss_mib']:.0f} |",
        f"| peer: Pillow full decode + scikit-image `resize(anti_aliasing=True)` | {peer['seconds']:.2f} | "
        f"{peer['rss_mib']:.0f} |",
        "",
        f"Ratio peer/ours: **{peer['seconds'] / ours['seconds']:.0f}×** faster, "
        f"{peer['rss_mib'] / ours['rss_mib']:.1f}× less peak memory; mean |difference| of the two 32×32 images "
        f"{diff:.4f} (0..1 scale). Load average at the end of the run: {load:.2f} on {os.cpu_count()} CPUs.",
        "",
    ])
    print(table)
    if not quick:
        (HERE / "results" / "decode.md").write_text(table, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
