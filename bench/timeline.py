#!/usr/bin/env python3
"""Draw fault 3 (`kill -9` of the server under load) as an SVG timeline, pure Python.

Every request of the fault is a point: x = when it started, in seconds from the kill
(negative: before it), y = its latency (log scale). A failed request is a red cross
labelled with its error number (2003, 2013, ...). Dashed vertical lines mark the kill,
the moment systemd scheduled the restart and the moment the server said it was ready
(from the journal, drive.py's restart_timeline). One panel per suite (rows) and run
(baseline, hardened; columns), all on the same axes so they compare at a glance.

    .venv/bin/python bench/timeline.py [bench/out]    # reads results-*.json there,
                                                       # writes kill9-timeline.svg

bench/resilience.py calls write_timeline() after every run, so the runs of several
suites (results-bookworm.json, results-trixie.json, results-mysql.json) end up in one
picture.
"""
import glob
import json
import math
import os
import sys
from xml.sax.saxutils import escape

SUITE_ORDER = ("bookworm", "trixie", "mysql")
SUITE_LABELS = {"bookworm": "Debian 12, MariaDB 10.11", "trixie": "Debian 13, MariaDB 11.8",
                "mysql": "Oracle MySQL 9.7"}
MODES = ("baseline", "hardened")
MARKS = (("kill", "kill -9", "#444444"),
         ("restart_scheduled_s", "restart scheduled", "#1f6fb2"),
         ("mariadbd_ready_s", "server ready", "#2a8f3a"))

PANEL_W, PANEL_H = 470, 200
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 56, 14, 34, 34
HEADER_H = 58
LAT_MIN, LAT_MAX = 0.001, 10.0  # latency axis bounds in seconds (a request times out at 10)


# --- scaling (pure) ---------------------------------------------------------------------

def linear(value, lo, hi, out_lo, out_hi):
    """Map value from [lo, hi] onto [out_lo, out_hi] (lo == hi maps to the middle)."""
    if hi == lo:
        return (out_lo + out_hi) / 2.0
    return out_lo + (value - lo) * (out_hi - out_lo) / float(hi - lo)


def log_scale(value, lo, hi, out_lo, out_hi):
    """Like linear() on log10; values are clamped into [lo, hi] first (lo > 0)."""
    value = min(max(value, lo), hi)
    return linear(math.log10(value), math.log10(lo), math.log10(hi), out_lo, out_hi)


def time_ticks(lo, hi, target=8):
    """Round tick values covering [lo, hi]: a step of 1, 2, 5, 10... seconds, always with 0
    (the kill) among them when it is in range."""
    span = max(hi - lo, 1e-9)
    raw = span / max(1, target)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.ceil(lo / step - 1e-9)
    ticks = []
    k = first
    while k * step <= hi + 1e-9:
        ticks.append(round(k * step, 10) + 0.0)
        k += 1
    return ticks


def latency_ticks(lo=LAT_MIN, hi=LAT_MAX):
    """Decades between lo and hi (seconds): 0.001, 0.01, 0.1, 1, 10."""
    ticks = []
    e = math.ceil(math.log10(lo) - 1e-9)
    while 10 ** e <= hi * (1 + 1e-9):
        ticks.append(10.0 ** e)
        e += 1
    return ticks


def fmt_latency(seconds):
    return "%g ms" % (seconds * 1000) if seconds < 1 else "%g s" % seconds


def time_range(panels, pad=0.5):
    """One x range for every panel: from the earliest request to the latest one (or mark),
    padded, in whole seconds."""
    lo, hi = 0.0, 1.0
    for panel in panels:
        for p in panel["points"]:
            lo = min(lo, p["t"])
            hi = max(hi, p["t"] + p.get("latency_s", 0))
        for value in panel["marks"].values():
            if value is not None:
                hi = max(hi, value)
    return math.floor(lo - pad), math.ceil(hi + pad)


def failure_labels(failures, min_dx=40.0, line_h=11.0, levels=4):
    """Where the failures' text labels go: [(x, label_y, code)] in pixels, sorted by x.

    A run of identical failures gets one label: a failure is left out when the last
    labelled failure of the same code is closer than min_dx pixels at about the same
    height (2 lines). A label that would overlap
    another one (closer than min_dx, same line) moves up a line, at most levels - 1
    lines; when every line is taken it is left out."""
    shown = []
    last = {}
    for x, y, code in sorted(failures, key=lambda f: (f[0], f[1])):
        prev = last.get(code)
        if prev is not None and x - prev[0] < min_dx and abs(y - prev[1]) < 2 * line_h:
            continue
        for level in range(levels):
            label_y = y - 5 - level * line_h
            if all(abs(x - sx) >= min_dx or abs(label_y - sy) >= line_h
                   for sx, sy, _ in shown):
                shown.append((x, label_y, code))
                last[code] = (x, y)
                break
    return shown


def short_code(code):
    """The label of a failure: the error number when there is one."""
    text = str(code if code is not None else "?")
    return text[5:] if text.startswith("http-") else text


# --- data -------------------------------------------------------------------------------

def panels_from_results(results):
    """One panel per (suite, mode) with fault 3's requests: a list of dicts with suite,
    mode, title, points, marks (seconds after the kill) and a one-line summary. Repeats
    are drawn together; their marks are the first repeat's."""
    panels = []
    by_suite = {}
    for res in results:
        by_suite[res.get("suite") or "bookworm"] = res
    order = [s for s in SUITE_ORDER if s in by_suite] + sorted(
        s for s in by_suite if s not in SUITE_ORDER)
    for suite in order:
        res = by_suite[suite]
        for mode in MODES:
            kills = ((res.get("raw") or {}).get(mode) or {}).get("kill") or []
            points = [p for k in kills for p in (k.get("points") or [])]
            if not kills:
                continue
            first = kills[0]
            marks = {"kill": 0.0,
                     "restart_scheduled_s": first.get("restart_scheduled_s"),
                     "mariadbd_ready_s": first.get("mariadbd_ready_s")}
            summ = (((res.get("summary") or {}).get(mode) or {}).get("3_kill_mysqld")) or {}
            rec = summ.get("recovery_s_median")
            extra = ""
            if summ.get("waited_p50_ms_median") is not None:
                extra = "; waited p50 %s ms, p99 %s ms" % (summ["waited_p50_ms_median"],
                                                          summ["waited_p99_ms_median"])
            panels.append({
                "suite": suite, "mode": mode,
                "title": "%s, %s" % (SUITE_LABELS.get(suite, suite), mode),
                "subtitle": "%s; %s failed%s" % (
                    "no success" if rec is None else "first success %s s after the kill" % rec,
                    summ.get("failed_median", "?"), extra),
                "points": points, "marks": marks, "date": res.get("date", "")})
    return panels


def load_results(directory):
    results = []
    for path in sorted(glob.glob(os.path.join(directory, "results-*.json"))):
        try:
            with open(path) as fh:
                results.append(json.load(fh))
        except (OSError, ValueError):
            continue
    return results


# --- drawing ----------------------------------------------------------------------------

def _text(x, y, text, size=11, anchor="start", color="#222222", weight="normal"):
    return ('<text x="%.1f" y="%.1f" font-size="%d" text-anchor="%s" fill="%s" '
            'font-weight="%s">%s</text>' % (x, y, size, anchor, color, weight, escape(str(text))))


def _line(x1, y1, x2, y2, color="#cccccc", width=1.0, dash=None):
    return ('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="%s"%s/>'
            % (x1, y1, x2, y2, color, width, ' stroke-dasharray="%s"' % dash if dash else ""))


def draw_panel(panel, x0, y0, t_lo, t_hi):
    """SVG elements of one panel whose top-left corner is (x0, y0)."""
    left, right = x0 + MARGIN_L, x0 + PANEL_W - MARGIN_R
    top, bottom = y0 + MARGIN_T, y0 + PANEL_H - MARGIN_B
    out = [_text(x0 + 4, y0 + 13, panel["title"], size=12, weight="bold"),
           _text(x0 + 4, y0 + 27, panel["subtitle"], size=10, color="#555555"),
           '<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#fbfbfb" '
           'stroke="#999999"/>' % (left, top, right - left, bottom - top)]

    def px(t):
        return linear(t, t_lo, t_hi, left, right)

    def py(lat):
        return log_scale(lat, LAT_MIN, LAT_MAX, bottom, top)

    for tick in time_ticks(t_lo, t_hi):
        x = px(tick)
        out.append(_line(x, top, x, bottom, color="#eeeeee"))
        out.append(_text(x, bottom + 13, "%g" % tick, size=9, anchor="middle", color="#555555"))
    for tick in latency_ticks():
        y = py(tick)
        out.append(_line(left, y, right, y, color="#eeeeee"))
        out.append(_text(left - 4, y + 3, fmt_latency(tick), size=9, anchor="end",
                         color="#555555"))
    out.append(_text((left + right) / 2, bottom + 27, "seconds from the kill (request start)",
                     size=9, anchor="middle", color="#555555"))
    for key, label, color in MARKS:
        value = panel["marks"].get(key)
        if value is None or not t_lo <= value <= t_hi:
            continue
        x = px(value)
        out.append(_line(x, top, x, bottom, color=color, width=1.2, dash="4,3"))
    failures = []
    for p in panel["points"]:
        x, y = px(p["t"]), py(p.get("latency_s") or LAT_MIN)
        if p.get("ok"):
            out.append('<circle cx="%.1f" cy="%.1f" r="2.6" fill="#2a6fb0" '
                       'fill-opacity="0.75"/>' % (x, y))
        else:
            out.append('<path d="M%.1f %.1fl6 6m0 -6l-6 6" stroke="#c62828" stroke-width="1.6"/>'
                       % (x - 3, y - 3))
            failures.append((x, y, short_code(p.get("code"))))
    for x, label_y, code in failure_labels(failures):
        out.append(_text(x + 4, label_y, code, size=9, color="#c62828"))
    return out


def render_svg(panels, title="kill -9 of the server under load: every request"):
    """The whole picture as an SVG string (panels from panels_from_results())."""
    suites = []
    for panel in panels:
        if panel["suite"] not in suites:
            suites.append(panel["suite"])
    width = PANEL_W * len(MODES) + 20
    height = HEADER_H + PANEL_H * max(1, len(suites)) + 10
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'viewBox="0 0 %d %d" font-family="sans-serif">' % (width, height, width, height),
           '<rect width="100%" height="100%" fill="#ffffff"/>',
           _text(10, 20, title, size=14, weight="bold")]
    # legend
    lx, ly = 10, 42
    out.append('<circle cx="%d" cy="%d" r="3" fill="#2a6fb0"/>' % (lx + 4, ly - 4))
    out.append(_text(lx + 12, ly, "request that succeeded (y: latency, log scale)", size=10))
    lx += 262
    out.append('<path d="M%d %dl6 6m0 -6l-6 6" stroke="#c62828" stroke-width="1.6"/>'
               % (lx, ly - 7))
    out.append(_text(lx + 10, ly, "failed (error number)", size=10))
    lx += 122
    for _key, label, color in MARKS:
        out.append(_line(lx, ly - 9, lx, ly + 2, color=color, width=1.2, dash="4,3"))
        out.append(_text(lx + 4, ly, label, size=10, color=color))
        lx += 14 + 6 * len(label)
    if not panels:
        out.append(_text(10, HEADER_H + 20, "no results-*.json with fault 3 found", size=12))
    t_lo, t_hi = time_range(panels) if panels else (0, 1)
    for panel in panels:
        row = suites.index(panel["suite"])
        col = MODES.index(panel["mode"]) if panel["mode"] in MODES else 0
        out.extend(draw_panel(panel, 10 + col * PANEL_W, HEADER_H + row * PANEL_H, t_lo, t_hi))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write_timeline(directory, name="kill9-timeline.svg"):
    """Redraw directory/name from every results-*.json in directory; returns its path."""
    path = os.path.join(directory, name)
    svg = render_svg(panels_from_results(load_results(directory)))
    with open(path, "w") as fh:
        fh.write(svg)
    return path


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    directory = argv[0] if argv else os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "out")
    print(write_timeline(directory))
    return 0


if __name__ == "__main__":
    sys.exit(main())
