"""The validation report: ``report.md`` (figures as files) and a self-contained ``report.html``.

Both hold a summary table (one row per check: case, check, measured, reference,
tolerance, status), then one section per case with its source, its checks and its
figure. The HTML embeds every figure as a base64 PNG, so the one file can be
mailed or archived; the Markdown links ``figures/<case>.png``.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import os
import platform
import subprocess
from pathlib import Path

from ..io.files import atomic_write, check_writable
from .core import DISAGREES, FAIL, NOT_REPRODUCIBLE, NOT_RUN, PASS, format_value
from .runner import CaseResult

__all__ = ["provenance", "report_paths", "write_report"]

_COLOURS = {PASS: "#d9f2d9", FAIL: "#f7c6c6", DISAGREES: "#fde7c2", NOT_REPRODUCIBLE: "#e6dcf5",
            NOT_RUN: "#e8e8e8"}


def report_paths(out_dir: Path, results_or_names) -> list[Path]:
    """Every file the report writes (checked against ``--overwrite`` before any work).

    Parameters
    ----------
    out_dir : pathlib.Path
        Report directory.
    results_or_names : list of CaseResult or str
        The cases (one figure each).

    Returns
    -------
    list of pathlib.Path
        The paths.
    """
    names = [r.name if isinstance(r, CaseResult) else r for r in results_or_names]
    out = Path(out_dir)
    return [out / "report.md", out / "report.html"] + [out / "figures" / f"{n}.png" for n in names]


def provenance(command: str, mode: str) -> dict:
    """Command, commit, machine and date of a run (the report's header).

    Parameters
    ----------
    command : str
        The command line.
    mode : str
        ``quick`` or ``full``.

    Returns
    -------
    dict
        ``command``, ``mode``, ``commit`` (noting uncommitted changes), ``mgmeso``, ``machine``, ``date``.
    """
    commit = "unknown"
    try:
        root = Path(__file__).resolve().parents[2]
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],
                                capture_output=True, text=True, timeout=10,
                                check=False).stdout.strip() or commit
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10, check=False).stdout.strip()
        if dirty and commit != "unknown":
            commit += " (with uncommitted changes)"
    except (OSError, subprocess.SubprocessError):
        pass
    from .. import __version__

    return {"command": command, "mode": mode, "commit": commit, "mgmeso": __version__,
            "machine": f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
            "date": _dt.datetime.now().isoformat(timespec="seconds")}


def _counts(results: list[CaseResult]) -> str:
    checks = [c.status for r in results for c in r.checks]
    parts = []
    for s in (PASS, FAIL, DISAGREES, NOT_REPRODUCIBLE, NOT_RUN):
        n = checks.count(s)
        if n:
            parts.append(f"{n} {s}")
    return ", ".join(parts)


def _md_cell(x) -> str:
    return format_value(x).replace("|", "\\|").replace("\n", " ")


def _markdown(results: list[CaseResult], prov: dict, wall_s: float) -> str:
    lines = ["# mgmeso validation report", "",
             f"* command: `{prov['command']}`", f"* mode: {prov['mode']}",
             f"* commit: {prov['commit']} (mgmeso {prov['mgmeso']})", f"* machine: {prov['machine']}",
             f"* date: {prov['date']}; wall time {wall_s:.1f} s",
             f"* checks: {_counts(results)}", "",
             "Statuses: `pass`; `fail` (a closed form or a documented claim does not hold); "
             f"`{DISAGREES}` (a real disagreement with the paper's number, both shown); "
             f"`{NOT_REPRODUCIBLE}` (the paper's number needs other parameters, named in the "
             "note); `not run` (registered, measured in a later version).", "",
             "## Summary", "",
             "| case | check | measured | reference | tolerance | status |",
             "|---|---|---|---|---|---|"]
    for r in results:
        if not r.checks:
            lines.append(f"| [{r.name}](#{r.name}) | (the case raised an error) | - | - | - "
                         f"| **{r.status}** |")
        for c in r.checks:
            st = f"**{c.status}**" if c.status != PASS else c.status
            lines.append(f"| [{r.name}](#{r.name}) | {_md_cell(c.name)} | {_md_cell(c.measured)} "
                         f"{_md_cell(c.unit)} | {_md_cell(c.reference)} | {_md_cell(c.tolerance)} | {st} |")
    for r in results:
        lines += ["", f"## {r.name}", "", f"**{r.title}** ({r.group}). Status: **{r.status}**. "
                  f"Source: {r.source}. Time {r.seconds:.1f} s. README: "
                  f"`validation/{r.name}/README.md`.", ""]
        if r.error:
            lines += ["```", r.error.rstrip(), "```", ""]
        if r.checks:
            lines += ["| check | measured | reference | tolerance | status | source | note |",
                      "|---|---|---|---|---|---|---|"]
            for c in r.checks:
                lines.append(f"| {_md_cell(c.name)} | {_md_cell(c.measured)} {_md_cell(c.unit)} | "
                             f"{_md_cell(c.reference)} | {_md_cell(c.tolerance)} | {c.status} | "
                             f"{_md_cell(c.source)} | {_md_cell(c.why)} |")
        if r.png:
            lines += ["", f"![{r.name}](figures/{r.name}.png)"]
    return "\n".join(lines) + "\n"


def _h(x) -> str:
    return html.escape(format_value(x))


def _html(results: list[CaseResult], prov: dict, wall_s: float) -> str:
    css = ("body{font-family:sans-serif;max-width:1200px;margin:1.5em auto;color:#222}"
           "table{border-collapse:collapse;margin:0.6em 0;font-size:0.88em}"
           "td,th{border:1px solid #bbb;padding:3px 6px;vertical-align:top}th{background:#eee}"
           "img{max-width:100%;border:1px solid #ddd}pre{background:#f6f6f6;padding:0.5em;"
           "overflow-x:auto;font-size:0.8em}.st{white-space:nowrap}")
    out = ["<!DOCTYPE html><html><head><meta charset='utf-8'><title>mgmeso validation report</title>",
           f"<style>{css}</style></head><body><h1>mgmeso validation report</h1><ul>"]
    for k in ("command", "mode", "commit", "machine", "date"):
        out.append(f"<li>{k}: <code>{html.escape(str(prov[k]))}</code></li>")
    out.append(f"<li>wall time {wall_s:.1f} s; checks: {html.escape(_counts(results))}</li></ul>")
    out.append("<h2>Summary</h2><table><tr><th>case</th><th>check</th><th>measured</th>"
               "<th>reference</th><th>tolerance</th><th>status</th></tr>")
    for r in results:
        rows: list = r.checks or [None]
        for c in rows:
            st = c.status if c else r.status
            name = _h(c.name) if c else "(the case raised an error)"
            meas = f"{_h(c.measured)} {html.escape(c.unit)}" if c else "-"
            ref = _h(c.reference) if c else "-"
            tol = _h(c.tolerance) if c else "-"
            out.append(f"<tr><td><a href='#{r.name}'>{r.name}</a></td><td>{name}</td><td>{meas}</td>"
                       f"<td>{ref}</td><td>{tol}</td><td class='st' style='background:"
                       f"{_COLOURS.get(st, '#fff')}'>{html.escape(st)}</td></tr>")
    out.append("</table>")
    for r in results:
        out.append(f"<h2 id='{r.name}'>{r.name}</h2><p><b>{html.escape(r.title)}</b> "
                   f"({html.escape(r.group)}). Status: <b style='background:"
                   f"{_COLOURS.get(r.status, '#fff')}'>{html.escape(r.status)}</b>. Source: "
                   f"{html.escape(r.source)}. Time {r.seconds:.1f} s. README: "
                   f"<code>validation/{r.name}/README.md</code>.</p>")
        if r.error:
            out.append(f"<pre>{html.escape(r.error)}</pre>")
        if r.checks:
            out.append("<table><tr><th>check</th><th>measured</th><th>reference</th><th>tolerance</th>"
                       "<th>status</th><th>source</th><th>note</th></tr>")
            for c in r.checks:
                out.append(f"<tr><td>{_h(c.name)}</td><td>{_h(c.measured)} {html.escape(c.unit)}</td>"
                           f"<td>{_h(c.reference)}</td><td>{_h(c.tolerance)}</td><td class='st' "
                           f"style='background:{_COLOURS.get(c.status, '#fff')}'>{html.escape(c.status)}"
                           f"</td><td>{html.escape(c.source)}</td><td>{html.escape(c.why)}</td></tr>")
            out.append("</table>")
        if r.png:
            b64 = base64.b64encode(compact_png(r.png)).decode("ascii")
            out.append(f"<img alt='{r.name}' src='data:image/png;base64,{b64}'>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def compact_png(png: bytes) -> bytes:
    """Re-encode a figure with a 256-colour palette for embedding.

    Line plots use few colours, so the palette loses nothing visible and the self-contained
    HTML stays about a third of its size with full-colour PNGs (the Markdown's linked
    figures are kept as drawn).

    Parameters
    ----------
    png : bytes
        A PNG file's content.

    Returns
    -------
    bytes
        The palette PNG's content.
    """
    import io

    from PIL import Image  # matplotlib's own dependency

    out = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("RGB").quantize(256).save(out, "PNG", optimize=True)
    return out.getvalue()


def write_report(results: list[CaseResult], out_dir: Path, prov: dict, wall_s: float,
                 overwrite: bool = False) -> list[Path]:
    """Write report.md, report.html and figures/<case>.png.

    Parameters
    ----------
    results : list of CaseResult
        The results.
    out_dir : pathlib.Path
        Report directory.
    prov : dict
        Provenance of :func:`provenance`.
    wall_s : float
        Wall time of the run (s).
    overwrite : bool
        Replace existing files.

    Returns
    -------
    list of pathlib.Path
        The paths written.
    """
    out = Path(out_dir)
    check_writable(report_paths(out, results), overwrite)
    written = []
    for r in results:
        if r.png:
            p = out / "figures" / f"{r.name}.png"
            with atomic_write(p, "wb") as fh:
                fh.write(r.png)
            written.append(p)
    for name, text in (("report.md", _markdown(results, prov, wall_s)),
                       ("report.html", _html(results, prov, wall_s))):
        with atomic_write(out / name) as fh:
            fh.write(text)
        written.append(out / name)
    return written
