"""Write the OpenAPI document of the app to web/openapi.json (the web client is generated from it).

Run: .venv/bin/python scripts/openapi.py [OUTPUT]   (default: web/openapi.json)
     .venv/bin/python scripts/openapi.py --check    exit 1 when web/openapi.json is stale
The app is built on a throwaway SQLite file, so no configured database is touched.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Works before `pip install -e .` too.
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))


def main() -> int:
    args = sys.argv[1:]
    check = "--check" in args
    args = [a for a in args if a != "--check"]
    out = Path(args[0]) if args else ROOT / "web" / "openapi.json"
    from omnistock.app import create_app
    from omnistock.platform.db import make_engine

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'openapi.db'}")
        try:
            app = create_app(engine, run_worker=False, web_dist=Path(tmp) / "no-web")
            doc = app.openapi()
        finally:
            engine.dispose()
    text = json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    if check:
        if out.exists() and out.read_text(encoding="utf-8") == text:
            print(f"{out} is up to date")
            return 0
        print(
            f"{out} is stale: the API changed. Run `.venv/bin/python scripts/openapi.py && "
            "(cd web && npm run gen:api)` and commit web/openapi.json and web/src/api/schema.d.ts.",
            file=sys.stderr,
        )
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists() and out.read_text(encoding="utf-8") == text:
        print(f"{out} unchanged")
    else:
        out.write_text(text, encoding="utf-8")
        print(f"wrote {out} ({len(doc.get('paths', {}))} paths)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
