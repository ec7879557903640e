"""`qharness report --html` and the page a suite writes, opened in a real browser (headless
Chromium): every table `qharness report` prints is on the page with the same numbers, the
trial list matches the results file (status, wall time, the failed trial's error), every
embedded image decodes to a non-empty picture, the page asks for nothing but itself and its
data: URIs, and the HTML parses without a single error. Chromium, python3-websocket and
python3-html5lib are installed when missing (root); where they cannot be, the test is skipped,
saying why."""
import math
import os
import re
import unittest

import h5py

from common import CliTestCase, qharness, write
from headless_chromium import HeadlessChromium, validate_html

SKIP_REASON = HeadlessChromium.unavailable()

PART_PIVOT = """\
name: page-pivot
task: selftest
selftest: {optimizer: {name: powell, maxiter: 20}}
sweep:
  grid:
    selftest.function: [quadratic, nan, rosenbrock]
    selftest.dim: [2, 3]
report:
  tables:
    - {title: "f at the optimum", rows: [function=selftest.function], cols: [dim=selftest.dim], metric: f_star, digits: 4}
    - {title: "evaluations", rows: [function=selftest.function], cols: [dim=selftest.dim], metric: evals}
"""
PART_SUMMARY = """\
name: page-summary
task: selftest
sweep:
  seeds: [0, 1]
"""
SUITE = """\
name: page
suite: [pivot.yaml, summary.yaml]
figures: true
"""

# Every table on the page: caption, header cells, body cells (text as rendered).
TABLES_JS = """
Array.from(document.querySelectorAll('table')).map(t => ({
  caption: t.caption ? t.caption.textContent : '',
  header: Array.from(t.querySelectorAll('thead th')).map(c => c.textContent),
  rows: Array.from(t.querySelectorAll('tbody tr')).map(r => Array.from(r.cells).map(c => c.textContent)),
}))
"""
# Every image, decoded by the browser: decode() rejects what it cannot turn into a picture.
IMAGES_JS = """
Promise.all(Array.from(document.images).map(img => img.decode().then(
  () => ({src: img.src.slice(0, 30), width: img.naturalWidth, height: img.naturalHeight, ok: true}),
  e => ({src: img.src.slice(0, 30), width: 0, height: 0, ok: false, error: String(e)}))))
"""


def markdown_tables(text):
    """The tables of `qharness report --markdown`: (title, header, rows)."""
    tables, title, lines = [], "", text.split("\n")
    i = 0
    while i < len(lines):
        m = re.fullmatch(r"\*\*(.*)\*\*", lines[i])
        if m:
            title = m.group(1)
        elif lines[i].startswith("|"):
            block = []
            while i < len(lines) and lines[i].startswith("|"):
                block.append([c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", lines[i])[1:-1]])
                i += 1
            tables.append((title, block[0], block[2:]))
            title = ""
            continue
        i += 1
    return tables


@unittest.skipIf(SKIP_REASON, f"no headless browser: {SKIP_REASON}")
class HtmlReportInABrowser(CliTestCase):
    def setUp(self):
        super().setUp()
        write(os.path.join(self.tmp, "pivot.yaml"), PART_PIVOT)
        write(os.path.join(self.tmp, "summary.yaml"), PART_SUMMARY)
        suite = write(os.path.join(self.tmp, "suite.yaml"), SUITE)
        self.run_result = qharness(["run", suite], cwd=self.tmp, timeout=600)
        self.page = os.path.join(self.tmp, "results", "page.html")

    def test_the_suite_page_holds_every_table_trial_and_image_and_loads_nothing(self):
        r = self.run_result
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)   # the nan trial failed, the others ran
        self.assertIn("==== report: results/page.html", r.stdout)
        with open(self.page) as f:
            html = f.read()
        self.assertEqual(validate_html(html), "", "the page is not valid HTML")

        parts = ["page-pivot", "page-summary"]
        expected_tables = []
        for part in parts:
            out = qharness(["report", f"results/{part}", "--markdown"], cwd=self.tmp)
            self.assertEqual(out.returncode, 0, out.stderr)
            expected_tables += markdown_tables(out.stdout)
        self.assertEqual(len(expected_tables), 3)   # two pivot tables, one summary

        url = "file://" + self.page
        with HeadlessChromium(self.tmp) as browser:
            page = browser.open(url)
            shown = page.evaluate(TABLES_JS)
            images = page.evaluate(IMAGES_JS)
            sections = page.evaluate("Array.from(document.querySelectorAll('section')).map(s => s.id)")
            requests = list(page.requests)

        # Nothing but the page itself and its data: URIs (the listener did see the page).
        self.assertIn(url, requests)
        self.assertEqual([u for u in requests if u != url and not u.startswith("data:")], [])
        self.assertEqual(sections, parts)

        # Every table of `qharness report`, cell for cell (the pivot tables under their titles).
        for title, header, rows in expected_tables:
            match = [t for t in shown if t["caption"] == title and t["header"] == header]
            self.assertEqual(len(match), 1, f"table '{title}' {header} not on the page once")
            self.assertEqual(match[0]["rows"], rows, title)
        pivot = next(t for t in shown if t["caption"] == "f at the optimum")
        self.assertTrue(any(re.search(r"\d", c) for row in pivot["rows"] for c in row[1:]))
        self.assertIn(["nan", "— [1 failed]", "— [1 failed]"], pivot["rows"])

        # The trial list: every trial of every part, its status, wall time and error.
        trial_rows = [row for t in shown if t["header"][:4] == ["#", "trial id", "swept values", "status"]
                      for row in t["rows"]]
        n_series = 0
        for part in parts:
            with h5py.File(os.path.join(self.tmp, "results", part, part + ".h5"), "r") as h:
                for tid, g in h["trials"].items():
                    row = next(r for r in trial_rows if r[1] == tid)
                    self.assertEqual(row[3], g.attrs["status"])
                    self.assertAlmostEqual(float(row[4]), float(g.attrs["wall_s"]),
                                           delta=1e-3 * max(1.0, float(g.attrs["wall_s"])))
                    self.assertEqual(row[5], g.attrs["error"])
                    if g.attrs["status"] == "failed":
                        self.assertIn("non-finite", row[5])
                    n_series += len(g["series"]) if "series" in g else 0
        self.assertEqual(len(trial_rows), 6 + 2)

        # Every image decodes to a picture: the figures ./qh plot drew and one plot per series.
        pngs = [f for part in parts if os.path.isdir(os.path.join(self.tmp, "results", part, "figures"))
                for f in os.listdir(os.path.join(self.tmp, "results", part, "figures")) if f.endswith(".png")]
        self.assertGreater(len(pngs), 0, "the suite's figures: true drew nothing to embed")
        self.assertGreater(n_series, 0)
        self.assertEqual(len(images), len(pngs) + n_series)
        for img in images:
            self.assertTrue(img["ok"] and img["width"] > 0 and img["height"] > 0, img)
            self.assertTrue(img["src"].startswith("data:image/"), img)

        # The provenance of each part: commit, dirty flag, versions, command, experiment file.
        for key in ("git commit", "uncommitted changes (git dirty)", "torch", "HDF5", "command"):
            self.assertEqual(sum(1 for t in shown if t["caption"] == "Provenance"
                                 for r in t["rows"] if r[0] == key), 2, key)
        self.assertIn("qharness run " + os.path.join(self.tmp, "pivot.yaml"), html)

    def test_report_html_of_one_folder_and_bad_input(self):
        out = os.path.join(self.tmp, "one", "summary.html")
        r = qharness(["report", "results/page-summary", "--html", out], cwd=self.tmp)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), f"report: {out}")
        with open(out) as f:
            html = f.read()
        self.assertEqual(validate_html(html), "")
        self.assertIn("<title>page-summary</title>", html)

        missing = os.path.join(self.tmp, "missing.html")
        r = qharness(["report", "results/page-summary", "results/nosuch", "--html", missing], cwd=self.tmp)
        self.assertEqual(r.returncode, 2)
        self.assertIn("nosuch", r.stderr)
        self.assertFalse(os.path.exists(missing))
        r = qharness(["report", "results/page-summary", "--html", missing, "--markdown"], cwd=self.tmp)
        self.assertEqual(r.returncode, 2)
        self.assertFalse(os.path.exists(missing))


if __name__ == "__main__":
    unittest.main()
