"""The release binary's code layout (issue 13, idle RSS): which code a server runs, so the linker packs it together.

Why: the kernel maps an executable's code in 64 KiB blocks, however little of a block runs. Left in the order the
objects were compiled, the 2 MiB of code a server runs at start, between requests and per request touched blocks
all over the 21 MiB of `.text`, and ~13 MiB stayed resident.

What it writes, both read by the release link (Package.swift):
- `hot.order`, lld's `--symbol-ordering-file`: the functions that ran, those of start-up and idle first;
- `hot.ld`, a linker script that puts the code that ran but has no symbol to name it (closure contexts'
  destructors, other private functions, the `.text` of assembly files) in its own section just before `.text`.

How: the release binary is linked with `-Map`, which gives the address of every input section of `.text` (with
`-function-sections`, one per function). `entrytrace` runs `reverify` with a one-shot breakpoint on each of them,
under scripts/lib/bench.py twice: once up to the point where the benchmark reads idle RSS (start, migrations,
a client, a password sign-in, a code flow, 11 s idle), then through every scenario for a short while. Every
section entered in either run is hot; the first run's come first.
"""

from __future__ import annotations

import argparse
import collections
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

INPUT_SECTION = re.compile(r"^\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+( +)(\S.*)$")


def text_sections(link_map: Path) -> dict[int, tuple[str, str]]:
    """Address -> (input section, object file) for every non-empty input section of the code."""
    sections: dict[int, tuple[str, str]] = {}
    inside = False
    with link_map.open() as lines:
        for line in lines:
            match = INPUT_SECTION.match(line)
            if not match:
                continue
            indent, rest = len(match.group(3)), match.group(4)
            if indent == 1:  # an output section: `.text`, and `.text.hot` once a layout is in place
                inside = rest.strip() in (".text", ".text.hot")
            elif inside and indent <= 9 and int(match.group(2), 16) > 0:  # an input section, not a symbol line
                source = re.match(r"^(.*):\((.*)\)$", rest)
                if source:
                    sections[int(match.group(1), 16)] = (source.group(2), source.group(1))
    return sections


def trace(bench_args: list[str], binary: str, tracer: str, addresses: Path, folder: Path) -> set[int]:
    """Runs scripts/lib/bench.py with every `reverify` it starts under entrytrace; the addresses entered."""
    folder.mkdir(parents=True, exist_ok=True)
    wrapper = folder / "reverify"
    wrapper.write_text(f'#!/bin/sh\nexec "{tracer}" "{addresses}" "{folder}/entered.$$" -- "{binary}" "$@"\n')
    wrapper.chmod(0o755)
    subprocess.run([sys.executable, str(HERE / "bench.py"), "--bin", str(wrapper), "--argon2-bin", binary,
                    *bench_args], check=False)
    entered = {int(line, 16) for path in folder.glob("entered.*") for line in path.read_text().split()}
    if not entered:
        raise SystemExit(f"nothing traced under {folder}")
    return entered


def object_pattern(path: str) -> str:
    """The object file as a linker-script pattern that holds on any checkout: `*/Module.build/File.swift.o`."""
    parts = path.split("/")
    start = next((i for i, part in enumerate(parts) if part.endswith(".build")), max(0, len(parts) - 2))
    # Unquoted, so the leading `*` globs; `?` stands for the spaces some of SwiftPM's object names have.
    return ("*/" + "/".join(parts[start:])).replace(" ", "?")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", required=True, help="the release reverify, linked with -Map")
    parser.add_argument("--map", required=True, help="its link map")
    parser.add_argument("--tracer", required=True, help="entrytrace, built from scripts/lib/entrytrace.c")
    parser.add_argument("--output", required=True, help="folder for hot.order and hot.ld")
    args = parser.parse_args()

    sections = text_sections(Path(args.map))
    work = Path(tempfile.mkdtemp(prefix="reverify-layout-"))
    addresses = work / "addresses"
    addresses.write_text("".join(f"{address:x}\n" for address in sections))
    print(f"==> {len(sections)} input sections in .text; traces under {work}", flush=True)
    idle = trace(["--only", "idle"], args.binary, args.tracer, addresses, work / "idle")
    load = trace(["--duration", "2", "--signin-rounds", "1", "--webhook-events", "400"], args.binary, args.tracer,
                 addresses, work / "load") - idle

    symbols = set(subprocess.run(["nm", "--defined-only", "--format=just-symbols", args.binary], check=True,
                                 capture_output=True, text=True).stdout.split())
    ordered: list[str] = []
    listed: set[str] = set()
    unnamed: dict[str, list[str]] = collections.defaultdict(list)  # object pattern -> its sections, in order
    for address in sorted(idle) + sorted(load):
        section, source = sections[address]
        function = section.removeprefix(".text.")
        if section != ".text" and function in symbols:
            if function not in listed:
                listed.add(function)
                ordered.append(function)
        elif not source.endswith(("Scrt1.o", "crtbeginS.o")):  # the C runtime's objects: system paths, run once
            quoted = section if section == ".text" else f'"{section}"'
            if quoted not in unnamed[object_pattern(source)]:
                unnamed[object_pattern(source)].append(quoted)

    output = Path(args.output)
    (output / "hot.order").write_text("\n".join(ordered) + "\n")
    rules = "\n".join(f"    {pattern}({' '.join(names)})" for pattern, names in unnamed.items())
    (output / "hot.ld").write_text(
        "/* Written by scripts/code-layout: code a server runs that has no symbol for hot.order to name. */\n"
        f"SECTIONS\n{{\n  .text.hot :\n  {{\n{rules}\n  }}\n}}\nINSERT BEFORE .text;\n")
    print(f"==> {output}: {len(ordered)} functions ({len(idle)} sections entered up to idle, {len(load)} more "
          f"under load), {sum(len(n) for n in unnamed.values())} unnamed sections in {len(unnamed)} objects")
    return 0


if __name__ == "__main__":
    sys.exit(main())
