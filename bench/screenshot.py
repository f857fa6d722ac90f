"""The README's screenshots: the chat app answering real questions, taken in headless Chromium.

Starts `policyqa serve` on the corpus index (default var/index, built by
`policyqa index build`), asks each question in a fresh browser tab and saves the page:

    python bench/screenshot.py [--index var/index] [--out docs]

docs/screenshot.png is the sample question (新乡高新区的氢能目标是什么, one region, one
section); docs/screenshot_regions.png a question naming no region, answered region by region.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from serving import serve

from index.paths import DEFAULT_INDEX

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]
SHOTS = {
    "screenshot.png": "新乡高新区的氢能目标是什么",
    "screenshot_regions.png": "到2025年研发经费投入强度的目标是多少",
}
WAIT_MS = 60_000


def take(url: str, question: str, path: Path, browser: object) -> None:
    """Ask `question` on the page at `url` and save the page once the answer is complete."""
    context = browser.new_context(viewport={"width": 1500, "height": 1100})  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(url)
    page.fill("#pq-question textarea", question)
    page.click("#pq-send")
    page.wait_for_function(
        """() => {
            const bots = document.querySelectorAll('#pq-chat .message.bot');
            return bots.length > 0 && !bots[bots.length - 1].innerText.includes('正在检索');
        }"""
    )
    page.locator("#pq-sources .pq-source").first.wait_for()
    page.screenshot(path=str(path), full_page=False)
    context.close()


def main() -> None:
    """Serve the index, take each screenshot, stop the server."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    parser.add_argument("--out", type=Path, default=Path("docs"))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with serve(args.index) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name, question in SHOTS.items():
            take(server.url, question, args.out / name, browser)
            print(f"{args.out / name}: {question}")
        browser.close()


if __name__ == "__main__":
    main()
