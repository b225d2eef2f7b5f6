"""The rot report as one self-contained HTML page: inline CSS, an inline SVG chart
of rot over time, no script, no external resource (it must open offline, years on)."""

from __future__ import annotations

from html import escape
from typing import Any

COLORS = {"alive": "#2e7d32", "moved": "#0277bd", "drifted": "#f9a825", "failing": "#ef6c00",
          "dead": "#c62828", "hidden": "#6a1b9a", "blocked": "#546e7a", "unchecked": "#bdbdbd"}
CSS = """body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;color:#222}
table{border-collapse:collapse;margin:1em 0;width:100%}th,td{border-bottom:1px solid #ddd;
padding:.25em .5em;text-align:left;vertical-align:top}td.n{text-align:right}
.bar{display:flex;height:1.1em;min-width:12em}.bar span{display:block;height:100%}
.key span{display:inline-block;width:.8em;height:.8em;margin:0 .3em 0 1em}
code{font-size:.85em;word-break:break-all}"""


def _bar(counts: dict[str, int]) -> str:
    total = sum(counts.values()) or 1
    parts = "".join(
        f'<span title="{k}: {v}" style="width:{100 * v / total:.2f}%;background:{COLORS[k]}">'
        "</span>" for k, v in counts.items() if v)
    return f'<div class="bar">{parts}</div>'


def _chart(timeline: list[dict[str, Any]]) -> str:
    if not timeline:
        return "<p>No checks yet: run <code>archiver check</code>.</p>"
    width, height, pad = 640, 200, 30
    n = len(timeline)
    step = (width - 2 * pad) / max(n - 1, 1)
    points = [(pad + i * step, height - pad - t["share"] * (height - 2 * pad))
              for i, t in enumerate(timeline)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#c62828">'
                   f'<title>{escape(t["date"])}: {t["rotten"]}/{t["checked"]}</title></circle>'
                   for (x, y), t in zip(points, timeline, strict=True))
    return (f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" '
            'aria-label="share of checked links that failed, by day">'
            f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
            'stroke="#999"/><line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="#999"/>'
            .replace("{pad}", str(pad)).replace("{height - pad}", str(height - pad))
            + f'<text x="2" y="{pad + 4}" font-size="11">100%</text>'
            f'<text x="8" y="{height - pad + 4}" font-size="11">0%</text>'
            f'<text x="{pad}" y="{height - 8}" font-size="11">{escape(timeline[0]["date"])}</text>'
            f'<text x="{width - pad}" y="{height - 8}" font-size="11" text-anchor="end">'
            f'{escape(timeline[-1]["date"])}</text>'
            f'<polyline points="{line}" fill="none" stroke="#c62828" stroke-width="2"/>{dots}'
            "</svg>")


def _counts_table(title: str, key: str, rows: list[dict[str, Any]], categories: list[str]) -> str:
    head = "".join(f"<th>{c}</th>" for c in categories)
    body = "".join(
        f"<tr><td>{escape(str(r[key]))}</td>{''.join(f'<td class=n>{r[c]}</td>' for c in categories)}"
        f"<td>{_bar({c: r[c] for c in categories})}</td></tr>" for r in rows)
    return f"<h2>{escape(title)}</h2><table><tr><th>{key}</th>{head}<th></th></tr>{body}</table>"


def render(report: dict[str, Any]) -> str:
    cats = report["categories"]
    key = "".join(f'<span style="background:{COLORS[c]}"></span>{c}' for c in cats)
    totals = "".join(
        f"<tr><td>{escape(what)}</td>{''.join(f'<td class=n>{counts[c]}</td>' for c in cats)}"
        f"<td>{_bar(counts)}</td></tr>" for what, counts in report["totals"].items())
    articles = "".join(
        f"<tr><td>{a['article_id']}</td><td>{escape(a['title'] or '')}<br>"
        f"<code>{escape(a['url'] or '')}</code></td><td>{escape(a['age'])}</td>"
        f"<td>{_bar(a['links'])}</td><td>{_bar(a['citations'])}</td></tr>"
        for a in report["by_article"])
    items = "".join(
        f"<tr><td>{i['article_id']}</td><td>{escape(i['what'])} {escape(i['kind'])}<br>"
        f"<code>{escape(i['url'])}</code></td><td>{escape(i['state'])}</td>"
        f"<td>{escape(i['our_copy_at'] or 'none')}<br><code>{escape(i['warc_file'] or '')}"
        f"{'@' + str(i['warc_offset']) if i['warc_offset'] is not None else ''}</code></td>"
        f"<td>{_link(i['wayback_url'])}</td></tr>" for i in report["items"])
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>archiver rot report</title><style>{CSS}</style></head><body>
<h1>Rot report</h1><p>Generated {escape(report['generated_at'])}.</p>
<p class="key">{key}</p>
<h2>Totals</h2><table><tr><th></th>{''.join(f'<th>{c}</th>' for c in cats)}<th></th></tr>
{totals}</table>
<h2>Rot over time</h2><p>Share of checked links that failed, per day of checks.</p>
{_chart(report['timeline'])}
{_counts_table('By domain', 'domain', report['by_domain'], cats)}
{_counts_table('By age of the article', 'age', report['by_age'], cats)}
<h2>By article</h2><table><tr><th>id</th><th>article</th><th>age</th><th>links</th>
<th>citations</th></tr>{articles}</table>
<h2>Dead, failing, drifted or hidden, and the copy we kept</h2>
<table><tr><th>article</th><th>what</th><th>state</th><th>our copy</th><th>Wayback</th></tr>
{items or '<tr><td colspan=5>Nothing has rotted yet.</td></tr>'}</table>
</body></html>
"""


def _link(url: str | None) -> str:
    if not url:
        return "none found"
    return f'<a href="{escape(url)}">{escape(url)}</a>'
