"""Runs a benchmark binary in its smoke configuration and checks what it measured, not only
its exit status: every benchmark ran without error, every counter is a finite number, and
each --require holds.

  check_smoke.py BINARY [--require 'NAME_REGEX COUNTER OP VALUE']... -- [benchmark flags]

OP is one of < <= == >= > (against VALUE, a float). A NAME_REGEX that matches no benchmark
is an error too."""
import argparse
import json
import math
import operator
import re
import subprocess
import sys

OPS = {"<": operator.lt, "<=": operator.le, "==": operator.eq, ">=": operator.ge, ">": operator.gt}


def main():
    argv = sys.argv[1:]
    flags = argv[argv.index("--") + 1:] if "--" in argv else []
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--require", action="append", default=[])
    args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    p = subprocess.run([args.binary, *flags, "--benchmark_format=json"], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{args.binary} exited {p.returncode}\n{p.stderr}")
    report = json.loads(p.stdout[p.stdout.index("{"):])   # some binaries print a line first
    benchmarks = [b for b in report["benchmarks"] if b.get("run_type", "iteration") == "iteration"]
    problems = []
    if not benchmarks:
        problems.append("no benchmark ran")
    standard = {"name", "family_index", "per_family_instance_index", "run_name", "run_type", "repetitions",
                "repetition_index", "threads", "iterations", "real_time", "cpu_time", "time_unit",
                "error_occurred", "error_message", "label", "aggregate_name", "aggregate_unit",
                "bytes_per_second", "items_per_second"}
    for b in benchmarks:
        if b.get("error_occurred"):
            problems.append(f"{b['name']}: {b.get('error_message')}")
        for key, value in b.items():
            if key not in standard and isinstance(value, (int, float)) and not math.isfinite(value):
                problems.append(f"{b['name']}: counter {key} is {value}")
    for requirement in args.require:
        name_regex, counter, op, value = requirement.split()
        matched = [b for b in benchmarks if re.search(name_regex, b["name"])]
        if not matched:
            problems.append(f"no benchmark matches {name_regex!r}")
        for b in matched:
            got = b.get(counter)
            if got is None or not OPS[op](got, float(value)):
                problems.append(f"{b['name']}: {counter} = {got}, required {op} {value}")
    for b in benchmarks:
        counters = {k: v for k, v in b.items() if k not in standard}
        print(b["name"], counters)
    if problems:
        sys.exit("\n".join(problems))


if __name__ == "__main__":
    main()
