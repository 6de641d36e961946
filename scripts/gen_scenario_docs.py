"""Write docs/scenario.md (every scenario key) from the pydantic model.

Usage: ``python scripts/gen_scenario_docs.py`` (``--check``: exit 1 when the file is stale).
"""

from __future__ import annotations

import sys
from pathlib import Path

from planner.runs.scenario_docs import render

DOC = Path(__file__).resolve().parent.parent / "docs" / "scenario.md"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
        if current != text:
            print(f"{DOC} is stale: run python scripts/gen_scenario_docs.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
