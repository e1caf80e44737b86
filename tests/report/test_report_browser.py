"""The report as a person sees it: rendered by headless Chromium, clicked, photographed.

Screenshots land in artifacts/report/ (git-ignored) for a human to look at."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from browser import Browser, installed_chromium

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts" / "report"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    binary = installed_chromium()
    out = tmp_path_factory.mktemp("report") / "handler_leak.html"
    # The baseline is another program: its functions all shrink to nothing, this one's all grow.
    r = subprocess.run([sys.executable, "-m", "golens", "report", "traces/handler_leak/go1.27.trace",
                        "--baseline", "traces/chan_leak/go1.27.trace", "--root", "traces/handler_leak",
                        "-o", str(out)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    with Browser(binary) as b:
        b.load_seconds = b.open(out)
        yield b


def js(b: Browser, expression: str):
    return b.eval(expression)


def test_opens_quickly_without_errors_or_network(page):
    assert page.load_seconds < 2
    assert page.console_errors() == []
    assert js(page, "performance.getEntriesByType('resource').length") == 0
    assert js(page, "document.getElementById('nothing').hidden") is True


def test_flame_graph_totals_and_click_to_zoom(page):
    data = js(page, "JSON.parse(document.getElementById('golens-data').textContent)")
    tabs = js(page, "[...document.querySelectorAll('#flame-tabs .tab')].map(t => [t.dataset.view, +t.dataset.ns])")
    assert dict(tabs) == {f["id"]: f["tree"][3] for f in data["flames"]}
    root = js(page, "+document.querySelector('#flame .bar').dataset.ns")
    assert root == data["flames"][0]["tree"][3]
    page.screenshot(ARTIFACTS / "flame.png", "#flame-section")

    # Zoom: click pollUpstream's frame; it then spans the whole graph.
    full = js(page, "document.getElementById('flame').clientWidth")
    before = js(page, "document.querySelector('#flame .bar[data-func=\"main.pollUpstream\"]').offsetWidth")
    assert before < full * 0.6
    page.click_element('#flame .bar[data-func="main.pollUpstream"]')
    after = js(page, "(() => { const b = document.querySelector('#flame .bar.focus'); "
                     "return [b.dataset.func, b.offsetWidth]; })()")
    assert after[0] == "main.pollUpstream" and after[1] >= full - 2
    details = js(page, "document.getElementById('flame-details').textContent")
    assert details.startswith("main.pollUpstream — main.go:51: ")  # the hovered frame, exact numbers
    assert js(page, "document.querySelector('#flame-section .selected a.loc').dataset.line") == "51"
    page.screenshot(ARTIFACTS / "flame-zoomed.png", "#flame-section")
    page.click_element("#flame-reset")
    assert js(page, "document.querySelector('#flame .bar.focus').dataset.func") == "all"


def test_the_chan_send_leak_shows_the_gt101_number(page):
    page.click_element('#flame-tabs .tab[data-view="blocked:chan send"]')
    leak = js(page, "(() => { const bars = [...document.querySelectorAll('#flame .bar')]; "
                    "const top = bars.find(b => b.dataset.func === 'main.handleReport.func1' && b.dataset.line === '33'); "
                    "return [+top.dataset.ns, top.title]; })()")
    row = js(page, "(() => { const r = [...document.querySelectorAll('#findings tbody tr')]"
                   ".find(r => r.querySelector('a.loc').dataset.line === '33'); "
                   "return [+r.cells[4].dataset.ns, r.cells[0].textContent]; })()")
    assert row[1] == "GT101" and leak[0] == row[0] > 0
    assert "still going at trace end" in leak[1]


def test_timeline_puts_leaked_groups_first(page):
    rows = js(page, "[...document.querySelectorAll('#timeline .tl-row:not(.tl-axis)')]"
                    ".map(r => [r.dataset.label, r.classList.contains('leaked')])")
    assert [leaked for _, leaked in rows[:3]] == [True, True, True]
    assert not any(leaked for _, leaked in rows[3:])
    assert sorted(label for label, _ in rows[:3]) == [
        "traces/handler_leak/main.go:29", "traces/handler_leak/main.go:32", "traces/handler_leak/main.go:37"]
    # Each leaked group ends with all 5 goroutines blocked: the plot's last column is full height.
    assert js(page, "document.querySelector('#timeline .tl-row.leaked .tl-peak').textContent") == "peak 5.0"
    page.screenshot(ARTIFACTS / "timeline.png", "#timeline-section")


def test_findings_table_sorts_and_links_lines(page):
    def column(i):
        return js(page, f"[...document.querySelectorAll('#findings tbody tr')].map(r => r.cells[{i}].dataset.ns "
                        f"|| r.cells[{i}].textContent)")

    page.click_element('#findings th[data-key="totalNs"]')
    times = [int(x) for x in column(4)]
    assert times == sorted(times, reverse=True) and len(times) == 6
    page.click_element('#findings th[data-key="path"]')
    where = column(2)
    assert where == sorted(where, key=lambda s: int(s.rsplit(":", 1)[1]))
    href = js(page, "document.querySelector('#findings a.loc').href")
    assert href.startswith("file:///") and href.endswith("/traces/handler_leak/main.go")
    page.screenshot(ARTIFACTS / "table.png", "#findings-section")


def test_difference_flame_graph_colours_growth_and_shrinkage(page):
    bars = js(page, "[...document.querySelectorAll('#diff .bar')].map(b => [b.dataset.func, +b.dataset.ns, "
                    "+b.dataset.before, getComputedStyle(b).backgroundColor])")
    assert bars[0][0] == "all"
    grew = [b for b in bars[1:] if b[1] > b[2] * 1.2]
    shrank = [b for b in bars[1:] if b[2] > b[1] * 1.2]
    assert "main.pollUpstream" in [b[0] for b in grew] and "main.firstResult.func1" in [b[0] for b in shrank]

    def rgb(c):
        return [int(x) for x in c[c.index("(") + 1:c.index(")")].split(",")[:3]]
    assert all(rgb(c)[0] > rgb(c)[2] for _, _, _, c in grew)
    assert all(rgb(c)[2] > rgb(c)[0] for _, _, _, c in shrank)
    page.screenshot(ARTIFACTS / "diff.png", "#diff-section")
    page.screenshot(ARTIFACTS / "full.png")
    (ARTIFACTS / "bars.json").write_text(json.dumps(bars[:20], indent=1))


def test_an_empty_trace_says_so(tmp_path):
    empty = tmp_path / "empty.trace"
    empty.write_bytes(b"go 1.26 trace\x00\x00\x00")
    out = tmp_path / "empty.html"
    r = subprocess.run([sys.executable, "-m", "golens", "report", str(empty), "--root", str(tmp_path), "-o", str(out)],
                       cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    with Browser(installed_chromium()) as b:
        b.open(out)
        assert b.console_errors() == []
        shown = b.eval("[...document.querySelectorAll('main > *')].filter(e => !e.hidden).map(e => e.id)")
        assert shown == ["nothing"]
        assert b.eval("document.getElementById('nothing').textContent").startswith("Nothing to show")
        b.screenshot(ARTIFACTS / "empty.png")


def test_vscode_links_open_the_line(tmp_path):
    """--links vscode (how the editors write it): rows link to vscode://file/<path>:<line>."""
    out = tmp_path / "links.html"
    r = subprocess.run([sys.executable, "-m", "golens", "report", "traces/handler_leak/go1.27.trace", "--links",
                        "vscode", "--root", "traces/handler_leak", "-o", str(out)],
                       cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    with Browser(installed_chromium()) as b:
        b.open(out)
        hrefs = b.eval("[...document.querySelectorAll('#findings a.loc')].map(a => a.href)")
    main_go = (REPO / "traces" / "handler_leak" / "main.go").as_posix()
    assert hrefs and all(h.startswith(f"vscode://file{main_go}:") for h in hrefs)
    assert sorted(int(h.rsplit(":", 1)[1]) for h in hrefs) == [29, 32, 33, 37, 44, 51]
