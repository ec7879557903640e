"""The README's YAML reference is the schema's: regenerate with
`/usr/bin/python3 tests/cli/readme_reference.py --update`."""
import os
import unittest

from common import QHARNESS, SOURCE_DIR
from readme_reference import generated, split_readme


class Readme(unittest.TestCase):
    def test_yaml_reference_matches_the_schema(self):
        with open(os.path.join(SOURCE_DIR, "README.md")) as f:
            text = f.read()
        self.assertEqual(split_readme(text).group(1), generated(QHARNESS),
                         "README's YAML reference is stale: run /usr/bin/python3 tests/cli/readme_reference.py --update")

    def test_readme_opens_with_the_two_commands(self):
        with open(os.path.join(SOURCE_DIR, "README.md")) as f:
            text = f.read()
        head = text[:400]
        self.assertIn("./qh run experiments/quickstart.yaml", head)
        self.assertIn("./qh test", head)


if __name__ == "__main__":
    unittest.main()
