"""Print the README's architecture picture (a Mermaid graph) from the code's own imports.

    .venv/bin/python docs/architecture.py

One box per installed package with what it is for, one arrow per package that imports
another, drawn as the transitive reduction (an arrow implied by a longer path is left out,
so the picture stays readable; the layers allow every such import). The README holds this
output between its `architecture-picture` markers and tests/test_readme.py fails when the
two differ, so the picture cannot drift from the code.
"""

from __future__ import annotations

import grimp

PACKAGES = {  # top to bottom: DESIGN.md's layers
    "crisiswatch": "crisiswatch: CLI, wiring, pipeline, serve, drill",
    "dashboard": "dashboard: Dash cockpit and public status page",
    "responders": "responders: incident, drafts, lint, approval, outbox, delivery",
    "signals": "signals: detectors, baselines, alerts",
    "sentiment": "sentiment: sentiment, rumour, crisis type",
    "collectors": "collectors: sources, ingest, quarantine",
    "store": "store: tables, migrations, claims",
}


def package_imports() -> set[tuple[str, str]]:
    graph = grimp.build_graph(*PACKAGES)
    return {(a, b) for a in PACKAGES for b in PACKAGES
            if a != b and graph.direct_import_exists(importer=a, imported=b, as_packages=True)}


def reduction(edges: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """`edges` without those a path of two or more edges already implies (a DAG)."""
    def reachable(start: str, skip: tuple[str, str]) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            for a, b in edges:
                if a == node and (a, b) != skip and b not in seen:
                    seen.add(b)
                    todo.append(b)
        return seen
    return {(a, b) for a, b in edges if b not in reachable(a, (a, b))}


def mermaid() -> str:
    order = list(PACKAGES)
    lines = ["```mermaid", "flowchart TD"]
    lines += [f'    {name}["{label}"]' for name, label in PACKAGES.items()]
    for a, b in sorted(reduction(package_imports()), key=lambda e: (order.index(e[0]),
                                                                      order.index(e[1]))):
        lines.append(f"    {a} --> {b}")
    lines.append("```")
    return "\n".join(lines)


if __name__ == "__main__":
    print(mermaid())
