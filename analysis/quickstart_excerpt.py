"""The quickstart's console output in the docs, regenerated from a run instead of edited by hand.

    ./qh run experiments/quickstart.yaml | tee quickstart.log
    /usr/bin/python3 analysis/quickstart_excerpt.py quickstart.log            # prints both blocks
    /usr/bin/python3 analysis/quickstart_excerpt.py quickstart.log --update   # rewrites them

Two blocks, each between markers, are rewritten:
  README.md           <!-- BEGIN quickstart-excerpt -->: the first line, then the tables named
                      in README_TABLES (top-1 after PTQ, LUQ's top-1, the masks' kept magnitude);
  docs/quickstart.md  <!-- BEGIN quickstart-output -->: the first HEAD_LINES lines (the start of
                      the LeNet-5 training), then everything from the suite's tables to the end.
The notes under each table (what the cells are, failed trials) are left out of both.
"""
import argparse
import os
import re
import sys

HEAD_LINES = 12
README_TABLES = [
    "LAPQ, LeNet-5, every layer quantized: test top-1",
    "LUQ, LeNet-5 trained",
    "Transposable 4:8 masks: kept magnitude",
]
BLOCKS = {
    "README.md": "quickstart-excerpt",
    os.path.join("docs", "quickstart.md"): "quickstart-output",
}


def tables_section(lines):
    """The lines from "==== suite '...': the tables" to the end, without the notes under tables."""
    start = next((i for i, l in enumerate(lines) if re.match(r"==== suite '.*': the tables$", l)), None)
    if start is None:
        raise ValueError("no \"==== suite '...': the tables\" line: is this a suite's console output?")
    return [l for l in lines[start:] if not l.startswith("  ")]


def table(lines, title_prefix):
    """The table whose title starts with title_prefix: its title, header, rule and rows."""
    for i, l in enumerate(lines):
        if l.startswith(title_prefix):
            end = i
            while end < len(lines) and lines[end].strip():
                end += 1
            return lines[i:end]
    raise ValueError(f"no table titled '{title_prefix}...' in the output")


def full_output(lines):
    return lines[:HEAD_LINES] + ["..."] + tables_section(lines)


def readme_excerpt(lines):
    section = tables_section(lines)
    out = [lines[0]]
    for title in README_TABLES:
        out += ["..."] + table(section, title)
    return out


def fenced(lines):
    return "```\n" + "\n".join(lines) + "\n```\n"


def replace_block(text, marker, body):
    begin, end = f"<!-- BEGIN {marker} -->\n", f"<!-- END {marker} -->"
    m = re.search(re.escape(begin) + r"(.*?)" + re.escape(end), text, re.S)
    if not m:
        raise ValueError(f"no {begin.strip()} ... {end} markers")
    return text[:m.start(1)] + body + text[m.end(1):]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("log", help="the console output of `./qh run experiments/quickstart.yaml` ('-': stdin)")
    parser.add_argument("--update", action="store_true", help="rewrite the blocks in the docs")
    parser.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        help="the repository whose docs to rewrite (default: this one)")
    args = parser.parse_args()
    text = sys.stdin.read() if args.log == "-" else open(args.log).read()
    lines = text.rstrip("\n").split("\n")
    bodies = {"quickstart-excerpt": fenced(readme_excerpt(lines)), "quickstart-output": fenced(full_output(lines))}
    for relative, marker in BLOCKS.items():
        if not args.update:
            print(f"== {relative} ({marker})\n{bodies[marker]}")
            continue
        path = os.path.join(args.root, relative)
        with open(path) as f:
            old = f.read()
        new = replace_block(old, marker, bodies[marker])
        with open(path, "w") as f:
            f.write(new)
        print(f"{relative}: {'rewritten' if new != old else 'unchanged'}")


if __name__ == "__main__":
    main()
