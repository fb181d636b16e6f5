"""Issue 6's figures: time from launch to the first frame and to the first live data, in a real
pseudo-terminal (tmux), for `talkya-console` against a bare Textual app with the same widgets.

Budget: first frame <= 1.5x the bare app; first data <= 2 s.

    python benchmarks/startup.py [--runs 3]

"First frame" is when the pane titles are on screen; "first data" is when the calls pane shows
a call. Cold runs start with an empty data dir (the demo is seeded first); warm runs reuse it.
A last set points the console at a sandbox that is already running (as a remote Talkya would be),
to separate the console's own time from the embedded demo's server start.
The package is byte-compiled first, as pip does on install (this machine sets
PYTHONDONTWRITEBYTECODE, which would otherwise make every launch compile from source).
The screen is read with `capture-pane` every 10 ms through one tmux control-mode client (a
separate process: there is nothing to await). A new `tmux capture-pane` process per poll would
cost the machine a third of a core, taken from what is being measured.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # the repository, not benchmarks/ (its queue.py is not the standard library's)

from benchmarks._harness import sandbox_process

FRAME_MARK = "1 Live calls"
DATA_MARKS = ("✓ done", "in progress", "ringing")
SESSION = "talkya-startup-bench"
POLLER = "talkya-startup-poller"


class Screen:
    """Reads a tmux pane through one long-lived control-mode client (`tmux -C`): no process per read."""

    def __init__(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", POLLER], capture_output=True)
        self._client = subprocess.Popen(
            ["tmux", "-C", "new-session", "-s", POLLER, "sleep 3600"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self._block()  # the reply to new-session

    def _block(self) -> str:
        """The output of the next command reply (control mode frames it in %begin ... %end)."""
        assert self._client.stdout is not None
        lines: list[str] = []
        for line in self._client.stdout:
            if line.startswith("%begin"):
                lines = []
            elif line.startswith(("%end", "%error")):
                return "".join(lines)
            else:
                lines.append(line)
        raise RuntimeError("the tmux control client exited")

    def capture(self, target: str) -> str:
        assert self._client.stdin is not None
        self._client.stdin.write(f"capture-pane -p -t {target}\n")
        self._client.stdin.flush()
        return self._block()

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", POLLER], capture_output=True)
        self._client.wait(timeout=5)


def _wait_gone(data_home: str | None, limit: float = 15.0) -> None:
    """Wait until the embedded demo of the console just closed has exited (it stops on its own once
    its console is gone), so its shutdown does not share the machine with the next launch."""
    if not data_home:
        return
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        pattern = f"talkya_console.embedded {data_home}"
        if subprocess.run(["pgrep", "-f", pattern], capture_output=True).returncode != 0:
            return
        time.sleep(0.05)
    print(f"warning: processes using {data_home} still running after {limit:.0f} s", file=sys.stderr)


def measure(
    screen: Screen, command: list[str], env: dict[str, str], want_data: bool, limit: float = 60.0
) -> tuple[float, float | None]:
    """Seconds to the first frame and (if asked) to the first data, from launching `command`."""
    subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
    exports = [f"-e{key}={value}" for key, value in env.items()]
    started = time.perf_counter()
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", SESSION, "-x", "120", "-y", "40", *exports, " ".join(command)], check=True
    )
    frame: float | None = None
    data: float | None = None
    try:
        while time.perf_counter() - started < limit:
            text = screen.capture(SESSION)
            now = time.perf_counter() - started
            if frame is None and FRAME_MARK in text:
                frame = now
            if frame is not None and (not want_data or any(mark in text for mark in DATA_MARKS)):
                data = now if want_data else None
                break
            time.sleep(0.01)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
        _wait_gone(env.get("XDG_DATA_HOME"))
    if frame is None:
        raise RuntimeError(f"no first frame within {limit} s: {' '.join(command)}")
    return frame, data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        sys.exit("tmux is needed: apt-get install tmux")
    python = sys.executable
    console = [str(Path(python).with_name("talkya-console"))]
    bare = [python, str(ROOT / "benchmarks" / "_bare_desk.py")]
    subprocess.run([python, "-m", "compileall", "-q", str(ROOT / "talkya_console")], check=True)
    screen = Screen()
    try:
        bare_frames, results = _run(screen, args.runs, console, bare)
    finally:
        screen.close()
    _report(bare_frames, results, args.runs)


def _run(
    screen: Screen, runs: int, console: list[str], bare: list[str]
) -> tuple[list[float], dict[str, list[tuple[float, float | None]]]]:
    bare_frames = [measure(screen, bare, {}, want_data=False)[0] for _ in range(runs)]
    results: dict[str, list[tuple[float, float | None]]] = {"cold": [], "warm": [], "remote": []}
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as data_home:
            env = {"XDG_DATA_HOME": data_home, "XDG_CONFIG_HOME": data_home, "PATH": os.environ.get("PATH", "")}
            results["cold"].append(measure(screen, console, env, want_data=True))
            results["warm"].append(measure(screen, console, env, want_data=True))
    with tempfile.TemporaryDirectory() as data_home, sandbox_process(Path(data_home) / "sandbox.db", cpu=1) as base:
        env = {
            "XDG_DATA_HOME": data_home,
            "XDG_CONFIG_HOME": data_home,
            "PATH": os.environ.get("PATH", ""),
            "TALKYA_API_KEY": "tk_test_truebliss",
            "TALKYA_WORKSPACE": "ws_truebliss",
            "TALKYA_BASE_URL": base,
        }
        results["remote"] = [measure(screen, console, env, want_data=True) for _ in range(runs)]
    return bare_frames, results


def _report(bare_frames: list[float], results: dict[str, list[tuple[float, float | None]]], runs: int) -> None:
    bare_median = statistics.median(bare_frames)
    print(f"bare Textual app, first frame: {bare_median * 1000:.0f} ms (median of {runs})")
    for kind, measured in results.items():
        frame = statistics.median(r[0] for r in measured)
        data = statistics.median(r[1] or float("nan") for r in measured)
        ratio = frame / bare_median
        print(
            f"talkya-console {kind:6}: first frame {frame * 1000:.0f} ms ({ratio:.2f}x the bare app; budget <= 1.5x), "
            f"first data {data * 1000:.0f} ms (budget <= 2000 ms)"
        )


if __name__ == "__main__":
    main()
