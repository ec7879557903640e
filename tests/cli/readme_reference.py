"""docs/yaml-reference.md's key table is `qharness schema`'s output between two markers.
`/usr/bin/python3 tests/cli/readme_reference.py --update` (with QHARNESS_BIN set, or after
`./qh build`) rewrites it; the test test_readme checks that it is current."""
import os
import re
import subprocess
import sys

BEGIN, END = "<!-- BEGIN yaml-reference -->", "<!-- END yaml-reference -->"
REFERENCE = os.path.join("docs", "yaml-reference.md")   # relative to the source root


def generated(qharness_bin):
    env = dict(os.environ, QHARNESS_PLUGIN_PATH="")
    return subprocess.run([qharness_bin, "schema"], capture_output=True, text=True, check=True, env=env).stdout


def split_reference(text):
    m = re.search(re.escape(BEGIN) + r"\n(.*?)" + re.escape(END), text, re.S)
    if not m:
        raise ValueError(REFERENCE + " lacks the yaml-reference markers")
    return m


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    qharness_bin = os.environ.get("QHARNESS_BIN", os.path.join(root, "build/bin/qharness"))
    path = os.path.join(root, REFERENCE)
    text = open(path).read()
    m = split_reference(text)
    new = text[:m.start(1)] + generated(qharness_bin) + text[m.end(1):]
    if "--update" in sys.argv:
        open(path, "w").write(new)
    else:
        print(new[m.start(1):])


if __name__ == "__main__":
    main()
