#!/usr/bin/python3
"""Checks that the examples in coro/'s documentation are the compiled ones.

Every ```cpp block in coro/README.md, and every example in a comment of a
coro/*.h header (comment lines indented by two or more spaces past `// `),
must be a verbatim copy of a region of tests/coro/snippets/*.cc, where the
tests compile and run it. A region is marked

    // snippet: name
    ...code...
    // end snippet

and compared without its common indentation. Every region must appear in the
documentation at least once, so a region nobody shows is noticed too.

Usage: check_snippets.py SOURCE_ROOT
"""

import difflib
import pathlib
import re
import sys

BEGIN = re.compile(r"^\s*// snippet: ([\w-]+)\s*$")
END = re.compile(r"^\s*// end snippet\s*$")
# A comment line of a header example: `//` then at least three spaces.
EXAMPLE_LINE = re.compile(r"^\s*//(   .*)$")
EMPTY_COMMENT = re.compile(r"^\s*//\s*$")
FENCE = re.compile(r"^```(\S*)\s*$")


def dedent(lines):
    lines = [line.rstrip() for line in lines]
    indents = [len(line) - len(line.lstrip()) for line in lines if line]
    cut = min(indents, default=0)
    return "\n".join(line[cut:] for line in lines)


def read_regions(snippet_dir, errors):
    regions = {}
    for path in sorted(snippet_dir.glob("*.cc")):
        name, body, start = None, [], 0
        for number, line in enumerate(path.read_text().splitlines(), 1):
            begin = BEGIN.match(line)
            if begin:
                if name:
                    errors.append(f"{path}:{number}: snippet inside snippet '{name}'")
                name, body, start = begin.group(1), [], number
            elif END.match(line):
                if not name:
                    errors.append(f"{path}:{number}: 'end snippet' without a start")
                elif name in regions:
                    errors.append(f"{path}:{start}: snippet '{name}' defined twice")
                else:
                    regions[name] = (dedent(body), f"{path}:{start}")
                name = None
            elif name:
                body.append(line)
        if name:
            errors.append(f"{path}:{start}: snippet '{name}' has no 'end snippet'")
    return regions


def readme_blocks(path):
    """The ```cpp (or unlabelled) blocks of a Markdown file."""
    blocks, body, language, start = [], None, None, 0
    for number, line in enumerate(path.read_text().splitlines(), 1):
        fence = FENCE.match(line)
        if fence and body is None:
            body, language, start = [], fence.group(1), number
        elif fence and body is not None:
            if language in ("", "cpp", "c++"):
                blocks.append((dedent(body), f"{path}:{start}"))
            body = None
        elif body is not None:
            body.append(line)
    return blocks


def header_blocks(path):
    """Runs of example comment lines; an empty `//` line inside one is kept."""
    blocks, body, start = [], [], 0
    lines = path.read_text().splitlines()
    for number, line in enumerate(lines, 1):
        example = EXAMPLE_LINE.match(line)
        if example:
            if not body:
                start = number
            body.append(example.group(1))
            continue
        if body and EMPTY_COMMENT.match(line):
            following = next((l for l in lines[number:] if not EMPTY_COMMENT.match(l)), "")
            if EXAMPLE_LINE.match(following):
                body.append("")
                continue
        if body:
            blocks.append((dedent(body), f"{path}:{start}"))
            body = []
    if body:
        blocks.append((dedent(body), f"{path}:{start}"))
    return blocks


def main():
    root = pathlib.Path(sys.argv[1])
    errors = []
    regions = read_regions(root / "tests/coro/snippets", errors)
    by_text = {text: name for name, (text, _) in regions.items()}
    documented = [*readme_blocks(root / "coro/README.md")]
    for header in sorted((root / "coro").glob("*.h")):
        documented += header_blocks(header)

    shown = set()
    for text, where in documented:
        if text in by_text:
            shown.add(by_text[text])
            continue
        closest = max(regions.items(), default=None,
                      key=lambda item: difflib.SequenceMatcher(None, text, item[1][0]).ratio())
        message = f"{where}: this example is not a snippet of tests/coro/snippets/"
        if closest:
            name, (region, region_where) = closest
            diff = difflib.unified_diff(region.splitlines(), text.splitlines(),
                                        f"{region_where} ({name})", where, lineterm="")
            message += "; closest:\n" + "\n".join(diff)
        errors.append(message)
    for name, (_, where) in sorted(regions.items()):
        if name not in shown:
            errors.append(f"{where}: snippet '{name}' appears in no documentation")

    for error in errors:
        print(error)
    print(f"{len(documented)} examples, {len(regions)} snippets, {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
