"""The documentation as a newcomer meets it: the README is short and opens with the two
commands, every relative link in README.md and docs/ leads to a file (and heading) of the repository, no
file refers to a contract outside the repository, and docs/yaml-reference.md's key table is
the schema's (regenerate with `/usr/bin/python3 tests/cli/readme_reference.py --update`)."""
import os
import re
import unittest

from common import QHARNESS, SOURCE_DIR
from readme_reference import REFERENCE, generated, split_reference

README_MAX_LINES = 250
# A Markdown link or image target: ](target) — the part before any #anchor.
LINK = re.compile(r"\]\(([^)\s]+)\)")


def read(relative):
    with open(os.path.join(SOURCE_DIR, relative)) as f:
        return f.read()


def markdown_files():
    files = ["README.md"]
    for folder, _, names in os.walk(os.path.join(SOURCE_DIR, "docs")):
        files += [os.path.relpath(os.path.join(folder, n), SOURCE_DIR) for n in sorted(names) if n.endswith(".md")]
    return files


def anchors(markdown):
    """The anchors a code host gives the headings of a Markdown page (GitHub's rule: lower case,
    punctuation but hyphens dropped, spaces to hyphens)."""
    found = set()
    in_code = False
    for line in markdown.split("\n"):
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and re.match(r"#+ ", line):
            found.add(re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower()).replace(" ", "-"))
    return found


def source_files():
    """Every file of the source tree but build outputs, results and git's own."""
    for folder, dirs, names in os.walk(SOURCE_DIR):
        rel = os.path.relpath(folder, SOURCE_DIR)
        if rel == ".":
            dirs[:] = [d for d in dirs if d != ".git" and not d.startswith("build") and d != "results"]
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for n in names:
            yield os.path.join(folder, n)


class Readme(unittest.TestCase):
    def test_yaml_reference_matches_the_schema(self):
        self.assertEqual(split_reference(read(REFERENCE)).group(1), generated(QHARNESS),
                         REFERENCE + "'s key table is stale: run /usr/bin/python3 tests/cli/readme_reference.py --update")

    def test_readme_opens_with_the_two_commands(self):
        head = read("README.md")[:400]
        self.assertIn("./qh run experiments/quickstart.yaml", head)
        self.assertIn("./qh test", head)

    def test_readme_is_short(self):
        lines = read("README.md").count("\n")
        self.assertLessEqual(lines, README_MAX_LINES, "the README is a newcomer's page: move details into docs/")

    def test_every_relative_link_resolves(self):
        broken = []
        for md in markdown_files():
            base = os.path.dirname(os.path.join(SOURCE_DIR, md))
            for target in LINK.findall(read(md)):
                if re.match(r"[a-z]+:", target) or target.startswith("#"):
                    continue   # a URL or an anchor on the same page
                file, _, anchor = target.partition("#")
                path = os.path.normpath(os.path.join(base, file))
                if not os.path.exists(path):
                    broken.append(f"{md}: {target}")
                elif not path.startswith(os.path.normpath(SOURCE_DIR) + os.sep):
                    broken.append(f"{md}: {target} (outside the repository)")
                elif anchor and anchor not in anchors(read(os.path.relpath(path, SOURCE_DIR))):
                    broken.append(f"{md}: {target} (no such heading)")
        self.assertEqual(broken, [])

    def test_no_file_refers_to_a_contract_outside_the_repository(self):
        # Built from pieces so that this file does not match itself.
        outside = ["../" + "shared/", "DESIGN" + ".md"]
        hits = []
        for path in source_files():
            try:
                with open(path, encoding="utf-8") as f:
                    text = f.read()
            except (UnicodeDecodeError, OSError):
                continue   # binary (figures)
            hits += [f"{os.path.relpath(path, SOURCE_DIR)}: {s}" for s in outside if s in text]
        self.assertEqual(hits, [], "cite docs/design.md instead")


if __name__ == "__main__":
    unittest.main()
