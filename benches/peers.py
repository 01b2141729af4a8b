#!/usr/bin/env python3
"""redline beside its Python peer, urlwatch, on the same pages on loopback.

Usage (from the repository root; needs internet access to PyPI once):

    python3 benches/peers.py [--watches 1000]

It installs urlwatch (and html2text, for urlwatch's html2text filter) into
target/peers-venv, builds redline in release mode, serves the real pages of
../shared/data/extraction/dev from one threaded HTTP server on 16 loopback
addresses (no ETags: every check fetches and processes the whole page), and
runs each tool twice as a separate process: a first check that records every
page, then a re-check that finds nothing changed. For each run it prints
wall time, pages per second, CPU time per page and peak memory of the tool's
process alone (os.wait4), so the server's own cost is left out.

The tools do different work per page: urlwatch without a filter diffs the
raw HTML; with `html2text` it converts the page to text first; redline
extracts the article (headline, blocks, emphasis) and diffs that. Neither
is told to be polite: redline runs with per_host_interval = "0s".
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "data" / "extraction" / "dev"
HOSTS = 16


def load_pages() -> list[bytes]:
    pages = [d / "page.html" for d in sorted(DEV.iterdir()) if (d / "page.html").is_file()]
    if not pages:
        sys.exit(f"no pages under {DEV}")
    return [p.read_bytes() for p in pages]


def serve(pages: list[bytes]) -> list[str]:
    """Starts one server thread per loopback address; returns their bases."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            try:
                index = int(self.path.rsplit("/", 1)[-1])
            except ValueError:
                self.send_error(404)
                return
            body = pages[index % len(pages)]
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    bases = []
    for n in range(1, HOSTS + 1):
        server = ThreadingHTTPServer((f"127.0.0.{n}", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        bases.append(f"http://127.0.0.{n}:{server.server_address[1]}")
    return bases


def measure(name: str, argv: list[str], count: int, env: dict | None = None) -> None:
    start = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    stderr_thread_output = []
    reader = threading.Thread(target=lambda: stderr_thread_output.append(child.stderr.read()), daemon=True)
    reader.start()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    reader.join()
    cpu = usage.ru_utime + usage.ru_stime
    code = os.waitstatus_to_exitcode(status)
    print(f"  {name:<44} {count / wall:>7.0f} pages/s  {cpu * 1000 / count:>6.2f} ms CPU/page"
          f"  wall {wall:>6.1f} s  peak {usage.ru_maxrss / 1024:>6.1f} MiB  exit {code}")
    if code not in (0, 1):
        tail = (stderr_thread_output[0] if stderr_thread_output else b"")[-800:]
        print(tail.decode(errors="replace"), file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--watches", type=int, default=1000)
    args = parser.parse_args()
    count = args.watches

    venv = ROOT / "target" / "peers-venv"
    if not (venv / "bin" / "urlwatch").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "urlwatch", "html2text"], check=True)
    subprocess.run(["cargo", "build", "--release", "-q"], cwd=ROOT, check=True)
    redline = ROOT / "target" / "release" / "redline"

    pages = load_pages()
    bases = serve(pages)
    urls = [f"{bases[i % HOSTS]}/p/{i}" for i in range(count)]
    mib = sum(len(pages[i % len(pages)]) for i in range(count)) / 1048576
    print(f"peers benchmark: {count} pages on {HOSTS} loopback sites, {mib:.0f} MiB of HTML per pass, "
          f"{os.cpu_count()} cores")

    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        watchlist = work / "watchlist.toml"
        lines = ['[settings]\nper_host_interval = "0s"\n']
        lines += [f'[[watch]]\nname = "w{i}"\nurl = "{u}"\n' for i, u in enumerate(urls)]
        watchlist.write_text("\n".join(lines))
        env = dict(os.environ, RUST_LOG="warn")
        for label in ("first check", "re-check, nothing changed"):
            measure(f"redline check ({label})", [str(redline), "--watchlist", str(watchlist), "check"], count, env)

        for variant, job_extra in (("urlwatch", ""), ("urlwatch + html2text", "filter:\n  - html2text\n")):
            folder = work / variant.replace(" ", "").replace("+", "-")
            folder.mkdir()
            jobs = "---\n".join(f"url: {u}\n{job_extra}" for u in urls)
            (folder / "urls.yaml").write_text(jobs)
            (folder / "hooks.py").write_text("")
            base = [str(venv / "bin" / "urlwatch"), "--urls", str(folder / "urls.yaml"),
                    "--cache", str(folder / "cache.db"), "--config", str(folder / "urlwatch.yaml"),
                    "--hooks", str(folder / "hooks.py")]
            for label in ("first check", "re-check, nothing changed"):
                measure(f"{variant} ({label})", base, count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
