#!/usr/bin/env python3
"""Tables of docs/RESULTS.md and README.md that come from committed CSVs: check them against the CSVs, or render them.

A table drawn from a CSV is announced by a comment on the line before it:

    <!-- csv docs/results/FILE.csv columns weight,fd_judge:3,precision:3,fd_change:2 -->
    | weight | FD (judge) | precision | change |
    |---:|---:|---:|---:|
    | 0 | 11.239 | 0.771 | — |

Column i of the table is the CSV column named by the i-th entry (":D" = rounded to D decimals; "%:D" after the name
= the value × 100, as a percentage; "-" = a column not from the CSV, not checked). The table has one row per CSV row,
in order. A cell is compared by its first number (bold, signs, units and anything after the number are ignored);
"—" or "-" stands for an empty CSV value or a zero (the reference row's change against itself).

usage: results-tables.py check FILE.md...      exit 1 naming every cell that differs from its CSV
       results-tables.py render FILE.md...     rewrite every announced table's numbers from its CSV (in place)
"""

import csv
import os
import re
import sys

MARK = re.compile(r"^<!-- csv (\S+) columns (\S+) -->\s*$")
NUMBER = re.compile(r"[−-]?\d+(?:\.\d+)?")


def parse_columns(spec):
    out = []
    for entry in spec.split(","):
        if entry == "-":
            out.append(None)
            continue
        name, _, digits = entry.partition(":")
        percent = name.endswith("%")
        out.append((name.rstrip("%"), percent, int(digits) if digits else None))
    return out


def expected(value, percent, digits):
    if value == "":
        return None
    v = float(value) * (100.0 if percent else 1.0)
    return v if digits is None else round(v, digits)


def cell_number(cell):
    m = NUMBER.search(cell.replace("**", ""))
    return None if not m else float(m.group(0).replace("−", "-"))


def format_value(v, digits):
    text = f"{v:.{digits}f}" if digits is not None else f"{v:g}"
    return text.replace("-", "−") if v < 0 else text


def tables(lines, root):
    """Yields (mark line index, csv rows, columns, table row indices)."""
    for i, line in enumerate(lines):
        m = MARK.match(line)
        if not m:
            continue
        path = os.path.join(root, m.group(1))
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        body = []
        j = i + 1
        while j < len(lines) and lines[j].lstrip().startswith("|"):
            body.append(j)
            j += 1
        yield i, m.group(1), rows, parse_columns(m.group(2)), body[2:]  # header and rule first


def split_row(line):
    indent = line[: len(line) - len(line.lstrip())]
    return indent, [c.strip() for c in line.strip().strip("|").split("|")]


def check(path, root):
    lines = open(path).read().split("\n")
    problems, cells = [], 0
    for mark, csv_path, rows, columns, body in tables(lines, root):
        where = f"{path}:{mark + 1} ({csv_path})"
        if len(body) != len(rows):
            problems.append(f"{where}: the table has {len(body)} rows, the CSV {len(rows)}")
            continue
        for row, index in zip(rows, body):
            _, table_cells = split_row(lines[index])
            if len(table_cells) != len(columns):
                problems.append(f"{path}:{index + 1}: {len(table_cells)} cells, the mark names {len(columns)} columns")
                continue
            for cell, column in zip(table_cells, columns):
                if column is None:
                    continue
                name, percent, digits = column
                if name not in row:
                    problems.append(f"{where}: the CSV has no column '{name}'")
                    continue
                try:
                    want, got = expected(row[name], percent, digits), cell_number(cell)
                except ValueError:
                    problems.append(f"{path}:{index + 1}: the CSV's {name} is not a number ('{row[name]}')")
                    continue
                cells += 1
                if cell in ("—", "-") and (want is None or want == 0):
                    continue  # an empty value, or the reference row's zero change
                if want is None:
                    if got is not None:
                        problems.append(f"{path}:{index + 1}: '{cell}' where the CSV's {name} is empty")
                elif got is None or abs(got - want) > 0.5 * 10 ** -(digits if digits is not None else 6) + 1e-12:
                    problems.append(f"{path}:{index + 1}: '{cell}' but the CSV's {name} gives {format_value(want, digits)}")
    return problems, cells


def render(path, root):
    lines = open(path).read().split("\n")
    for _, _, rows, columns, body in list(tables(lines, root)):
        for row, index in zip(rows, body):
            indent, table_cells = split_row(lines[index])
            for k, column in enumerate(columns):
                if column is None or k >= len(table_cells):
                    continue
                name, percent, digits = column
                want = expected(row.get(name, ""), percent, digits)
                old = table_cells[k]
                if old in ("—", "-") and (want is None or want == 0):
                    continue  # as check() reads it: an empty value or the reference row's zero change
                text = "—" if want is None else format_value(want, digits)
                m = NUMBER.search(old.replace("**", ""))
                table_cells[k] = text if not m else old.replace(m.group(0), text, 1)
            lines[index] = indent + "| " + " | ".join(table_cells) + " |"
    with open(path, "w") as f:
        f.write("\n".join(lines))


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("check", "render"):
        sys.stderr.write(__doc__)
        return 2
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    failed = False
    for path in sys.argv[2:]:
        if sys.argv[1] == "render":
            render(path, root)
            continue
        problems, cells = check(path, root)
        for p in problems:
            print(p)
        print(f"{path}: {cells} cells checked against their CSVs, {len(problems)} differ")
        failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
