"""Headless Chromium for the report's tests and for docs/report.png; plus a tiny PNG reader.

Chromium is the distribution's package (`apt-get install chromium`); nothing is downloaded.

    python tests/chromium.py   # redraw docs/report.png: the shipped data's index at 1280 px
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from dataclasses import dataclass
from html import escape, unescape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "build" / "screenshots"  # git-ignored (build/), kept after a run
DOCS_PNG = ROOT / "docs" / "report.png"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--mute-audio",
    "--force-device-scale-factor=1",
)
TIMEOUT = 90


def find() -> str | None:
    """The Chromium binary: /usr/bin/chromium, else `chromium` on PATH, else None."""
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _run(browser: str, args: list[str], url: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="unionstate-chromium-") as profile:
        return subprocess.run(
            [browser, *FLAGS, f"--user-data-dir={profile}", *args, url],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )


def screenshot(browser: str, page: Path, png: Path, width: int, height: int) -> None:
    """Draw `page` (a file) into `png` with a window `width` x `height` CSS pixels."""
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    done = _run(browser, [f"--screenshot={png}", f"--window-size={width},{height}"], page.as_uri())
    if not png.is_file():
        raise RuntimeError(f"chromium drew no {png.name}: {done.stderr[-2000:]}")


def dump_dom(browser: str, page: Path, width: int = 1280) -> str:
    """The DOM of `page` after it loaded, as Chromium serialises it."""
    done = _run(browser, ["--dump-dom", f"--window-size={width},2000"], page.as_uri())
    if done.returncode or "<html" not in done.stdout:
        raise RuntimeError(f"chromium --dump-dom failed: {done.stderr[-2000:]}")
    return done.stdout


# Chromium's headless window is never narrower than 500 px, so pages are measured inside
# iframes of the width wanted, on a test-only wrapper page whose script reads each frame's
# layout (file:// frames may be read with --allow-file-access-from-files) and writes it into
# the DOM that --dump-dom prints. The pages themselves carry no script.
_WRAPPER = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>measure</title></head>
<body>{frames}<script>
window.addEventListener("load", function () {{
  document.querySelectorAll("iframe").forEach(function (frame) {{
    var doc = frame.contentDocument, root = doc.documentElement, width = root.clientWidth;
    var wide = [];
    doc.querySelectorAll("body *").forEach(function (el) {{
      var box = el.getBoundingClientRect();
      if (box.right > width + 0.5 && !el.closest(".table-wrap")) {{
        wide.push(el.tagName.toLowerCase() + (el.className ? "." + el.className : "")
          + " right=" + Math.round(box.right));
      }}
    }});
    var out = document.createElement("pre");
    out.textContent = "MEASURED " + frame.getAttribute("src") + " scrollWidth=" + root.scrollWidth
      + " clientWidth=" + width + " title=" + doc.title.replace(/\\s+/g, " ")
      + " wide=" + wide.slice(0, 5).join(" | ");
    document.body.appendChild(out);
  }});
}});
</script></body></html>
"""
_MEASURED = re.compile(
    r"MEASURED (\S+) scrollWidth=(\d+) clientWidth=(\d+) title=(.*?) wide=([^\n<]*)"
)


@dataclass(frozen=True)
class Layout:
    """What Chromium laid out for one page in a frame of a given width."""

    scroll_width: int
    client_width: int
    title: str
    wide: str  # the first elements that stick out, if any


def measure(browser: str, site: Path, pages: list[str], width: int) -> dict[str, Layout]:
    """Each page of `site` (paths relative to it) laid out `width` px wide, in one launch."""
    frames = "".join(
        f'<iframe src="{escape(page)}" width="{width}" height="900"></iframe>' for page in pages
    )
    wrapper = site / ".measure.html"
    wrapper.write_text(_WRAPPER.format(frames=frames), encoding="utf-8")
    try:
        done = _run(
            browser,
            ["--allow-file-access-from-files", "--dump-dom", "--window-size=1280,900"],
            wrapper.as_uri(),
        )
    finally:
        wrapper.unlink(missing_ok=True)
    found = {
        unescape(m[1]): Layout(int(m[2]), int(m[3]), unescape(m[4]), unescape(m[5]))
        for m in _MEASURED.finditer(done.stdout)
    }
    if sorted(found) != sorted(pages):
        raise RuntimeError(f"measured {len(found)} of {len(pages)} pages: {done.stderr[-2000:]}")
    return found


# ------------------------------------------------------------------------------ PNG


def png_pixels(png: Path, max_rows: int | None = None) -> tuple[int, int, list[bytes]]:
    """(width, height, the first `max_rows` rows of RGB(A) bytes) of an 8-bit RGB/RGBA PNG."""
    data = png.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{png} is not a PNG")
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", header[:10])
    if depth != 8 or color not in (2, 6):
        raise ValueError(f"{png}: only 8-bit RGB/RGBA PNGs are read here")
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height if max_rows is None else min(height, max_rows)):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = previous[i]
            c = previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, rows


def ink(png: Path, max_rows: int = 700) -> tuple[int, int, float, int]:
    """(width, height, share of pixels unlike the background, distinct colours) in the top
    `max_rows` rows of a PNG (decoding in pure Python is slow; the top is what matters)."""
    width, height, rows = png_pixels(png, max_rows)
    bpp = len(rows[0]) // width
    counts: dict[bytes, int] = {}
    for row in rows:
        for x in range(0, len(row), bpp * 2):
            pixel = row[x : x + 3]
            counts[pixel] = counts.get(pixel, 0) + 1
    total = sum(counts.values())
    background = max(counts.values())
    return width, height, (total - background) / total, len(counts)


# ----------------------------------------------------------------------- docs picture


def docs_picture() -> Path:
    """Draw docs/report.png: the report of the shipped data, its index at 1280 px wide."""
    browser = find()
    if browser is None:
        raise SystemExit("no chromium: apt-get install chromium")
    with tempfile.TemporaryDirectory() as scratch:
        site = Path(scratch) / "site"
        env = {k: v for k, v in os.environ.items() if not k.startswith("UNIONSTATE_")}
        subprocess.run(
            [
                sys.executable,
                "-m",
                "unionstate",
                "--data",
                str(ROOT / "data" / "roadmaps.yaml"),
                "report",
                str(site),
            ],
            check=True,
            env=env,
            cwd=scratch,
        )
        screenshot(browser, site / "index.html", DOCS_PNG, 1280, 1500)
    return DOCS_PNG


if __name__ == "__main__":
    print(f"wrote {docs_picture()}")
