"""Let jupyter-book's PDF printer use the system's chromium.

``jupyter-book build --builder pdfhtml`` prints the one-page book with
Playwright, which launches its own headless shell from
``$PLAYWRIGHT_BROWSERS_PATH`` and has no option to use another browser.
``make pdf`` runs::

    python book/_ext/pdfbrowser.py FOLDER /usr/bin/chromium

which makes ``FOLDER`` look like Playwright's download, with the headless
shell a link to the given chromium, so nothing is downloaded.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def headless_shell_revision() -> str:
    """The chromium-headless-shell revision the installed Playwright wants."""
    import playwright

    driver = Path(playwright.__file__).parent / "driver" / "package"
    browsers = json.loads((driver / "browsers.json").read_text())["browsers"]
    return next(b["revision"] for b in browsers
                if b["name"] == "chromium-headless-shell")


def link_browser(folder: Path, chromium: Path) -> Path:
    """Link ``chromium`` where Playwright looks for its headless shell."""
    revision = headless_shell_revision()
    shell_dir = (folder / f"chromium_headless_shell-{revision}"
                 / "chrome-headless-shell-linux64")
    shell_dir.mkdir(parents=True, exist_ok=True)
    link = shell_dir / "chrome-headless-shell"
    link.unlink(missing_ok=True)
    link.symlink_to(chromium.resolve())
    return link


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    print(link_browser(Path(sys.argv[1]), Path(sys.argv[2])))
