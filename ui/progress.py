"""Progress bars on stderr for long commands (index build, eval); silent with -q."""

from __future__ import annotations

import sys
from collections.abc import Collection, Mapping
from typing import Any


class StageBars:
    """One tqdm bar per stage, fed by a `(stage, done, total)` progress callback."""

    def __init__(
        self, labels: Mapping[str, str], enabled: bool, scaled: Collection[str] = ()
    ) -> None:
        """`labels` names each stage on its bar; nothing is drawn unless `enabled`.

        Stages in `scaled` count large amounts (bytes, characters): shown as 35.2M/100M.
        """
        self.labels = labels
        self.enabled = enabled
        self.scaled = scaled
        self.stage = ""
        self.bar: Any = None

    def __enter__(self) -> StageBars:
        return self

    def __exit__(self, *exc: object) -> None:
        self._close()

    def update(self, stage: str, done: int, total: int) -> None:
        """Progress callback: `done` of `total` steps of `stage`."""
        if not self.enabled:
            return
        # A stage that starts over (the next configuration of an eval) gets a new bar.
        if stage != self.stage or self.bar is None or done < self.bar.n:
            # Lazy: tqdm is only needed while a long command runs.
            from tqdm import tqdm

            self._close()
            self.stage = stage
            label = self.labels.get(stage, stage)
            width = max(len(v) for v in self.labels.values()) if self.labels else len(label)
            self.bar = tqdm(
                total=total,
                desc=f"{label:<{width}}",
                unit="",
                unit_scale=stage in self.scaled,
                file=sys.stderr,
            )
        self.bar.total = total
        self.bar.update(done - self.bar.n)  # tqdm limits redraws to a few per second

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
