#!/usr/bin/env python3
"""Draws the SVG bar chart of a `benches/run.sh` report: for every workload, one bar per
implementation with its median time as a multiple of gcc -O2's, on a logarithmic axis (the
ratios span four orders of magnitude). Standard library only, so it runs wherever run.sh does.

    python3 benches/chart.py benches/results/quick.json benches/results/quick.svg
"""
import json
import math
import sys
from xml.sax.saxutils import escape

# One colour per implementation: solvrac's tiers in blues and purples, the peers in warm colours
# and greys, so the two families are told apart at a glance.
COLORS = {
    'solvrac': '#9ecae1',
    'solvrac auto': '#6baed6',
    'solvrac jit': '#3182bd',
    'solvrac -O2': '#6a51a3',
    'lua5.4': '#fdae6b',
    'luajit': '#e6550d',
    'python3': '#74c476',
    'node': '#969696',
}
LABELS = {
    'solvrac': 'solvrac interpreter',
    'solvrac auto': 'solvrac tiered (auto)',
    'solvrac jit': 'solvrac JIT',
    'solvrac -O2': 'solvrac AOT -O2',
}
BASELINE = 'gcc -O2'

BAR = 14
GAP = 26
LEFT = 70
RIGHT = 20
TOP = 96
PLOT_H = 380
BOTTOM = 70


def fmt_ratio(r):
    if r >= 10:
        return f'{r:.0f}'
    if r >= 1:
        return f'{r:.1f}'
    return f'{r:.2f}'


def chart(report):
    workloads = [w for w in report['workloads'] if w['results'].get(BASELINE)]
    impls = [i for i in COLORS if any(i in w['results'] for w in workloads)]
    ratios = [w['results'][i]['ratio_to_gcc'] for w in workloads for i in impls
              if i in w['results']]
    if not workloads or not ratios:
        sys.exit('chart.py: no workload has a gcc -O2 time to compare with')
    lo = 10 ** math.floor(math.log10(min(min(ratios), 1.0)))
    hi = 10 ** math.ceil(math.log10(max(max(ratios), 10.0)))
    group_w = len(impls) * BAR + GAP
    # Wide enough for the title and legend even with few workloads.
    width = max(LEFT + len(workloads) * group_w + RIGHT, 780)
    height = TOP + PLOT_H + BOTTOM

    def y(r):
        return TOP + PLOT_H * (math.log10(hi) - math.log10(r)) / (math.log10(hi) - math.log10(lo))

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{LEFT}" y="22" font-size="16" font-weight="bold">'
           f'Whole-program benchmarks ({escape(report["mode"])}): median time / gcc -O2 median'
           '</text>',
           f'<text x="{LEFT}" y="40" fill="#555">log scale, lower is better; gcc -O2 is the '
           f'line at 1×. {escape(report.get("date", ""))}, hyperfine '
           f'-r {report["hyperfine"]["runs"]}</text>']
    # Legend: one swatch per implementation, in two rows if needed.
    x, row = LEFT, 0
    for impl in impls:
        label = LABELS.get(impl, impl)
        w = 22 + 7 * len(label) + 18
        if x + w > width - RIGHT:
            x, row = LEFT, row + 1
        ly = 56 + 18 * row
        out.append(f'<rect x="{x}" y="{ly}" width="12" height="12" fill="{COLORS[impl]}"/>')
        out.append(f'<text x="{x + 17}" y="{ly + 11}">{escape(label)}</text>')
        x += w
    # Decade grid lines with their labels, and minor lines at 2× and 5×.
    d = lo
    while d <= hi * 1.0001:
        for m in (1, 2, 5):
            v = d * m
            if v > hi * 1.0001:
                break
            yy = y(v)
            major = m == 1
            out.append(f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{yy:.1f}" y2="{yy:.1f}" '
                       f'stroke="{"#bbb" if major else "#eee"}"/>')
            if major or hi / lo <= 1000:
                out.append(f'<text x="{LEFT - 6}" y="{yy + 4:.1f}" text-anchor="end" '
                           f'fill="{"#000" if major else "#777"}">{v:g}×</text>')
        d *= 10
    base_y = y(1.0)
    out.append(f'<text transform="translate(16,{TOP + PLOT_H / 2}) rotate(-90)" '
               'text-anchor="middle">× gcc -O2 time</text>')
    for g, w in enumerate(workloads):
        gx = LEFT + g * group_w + GAP / 2
        for k, impl in enumerate(impls):
            res = w['results'].get(impl)
            if not res:
                continue
            r = res['ratio_to_gcc']
            bx = gx + k * BAR
            top, bottom = sorted((y(r), base_y))
            title = (f'{w["name"]}, {LABELS.get(impl, impl)}: {res["median_s"]:.3f} s, '
                     f'{fmt_ratio(r)}× gcc -O2')
            out.append(f'<rect x="{bx:.1f}" y="{top:.1f}" width="{BAR - 2}" '
                       f'height="{max(bottom - top, 1):.1f}" fill="{COLORS[impl]}">'
                       f'<title>{escape(title)}</title></rect>')
            ty = y(r) - 3 if r >= 1 else y(r) + 3
            anchor = 'start' if r >= 1 else 'end'
            out.append(f'<text transform="translate({bx + BAR / 2 + 3:.1f},{ty:.1f}) '
                       f'rotate(-90)" font-size="9" text-anchor="{anchor}">'
                       f'{fmt_ratio(r)}</text>')
        label = f'{w["name"]} ({w["size"]:,})'
        cx = gx + len(impls) * BAR / 2
        out.append(f'<text x="{cx:.1f}" y="{TOP + PLOT_H + 18}" text-anchor="middle" '
                   f'font-weight="bold">{escape(w["name"])}</text>')
        out.append(f'<text x="{cx:.1f}" y="{TOP + PLOT_H + 33}" text-anchor="middle" '
                   f'fill="#555" font-size="10">{escape(label[len(w["name"]) + 1:])}</text>')
        gcc_s = w['results'][BASELINE]['median_s']
        out.append(f'<text x="{cx:.1f}" y="{TOP + PLOT_H + 47}" text-anchor="middle" '
                   f'fill="#555" font-size="10">gcc {gcc_s * 1000:.0f} ms</text>')
    out.append(f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{base_y:.1f}" y2="{base_y:.1f}" '
               'stroke="#000" stroke-width="1.5"/>')
    out.append('</svg>')
    return '\n'.join(out) + '\n'


def main():
    if len(sys.argv) != 3:
        sys.exit('usage: chart.py REPORT.json OUT.svg')
    with open(sys.argv[1]) as f:
        report = json.load(f)
    svg = chart(report)
    with open(sys.argv[2], 'w') as f:
        f.write(svg)


if __name__ == '__main__':
    main()
