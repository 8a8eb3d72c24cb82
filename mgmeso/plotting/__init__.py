"""Figures. Matplotlib is used with the non-interactive Agg backend.

Every figure states the material and protocol in its title, labels its axes
with units, and is saved atomically (see :func:`save_figure`).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from ..io.files import atomic_write  # noqa: E402

__all__ = ["plt", "save_figure", "COMPONENT_STYLE"]

COMPONENT_STYLE = {
    "elastic": dict(color="0.35", ls="-", label="elastic"),
    "beta": dict(color="tab:blue", ls="--", label=r"$\beta$"),
    "anelastic": dict(color="tab:orange", ls="-.", label="anelastic"),
    "plastic": dict(color="tab:red", ls=":", label="viscoplastic"),
}


def save_figure(fig, path: Path, dpi: int = 130) -> None:
    """Save a figure as PNG without ever leaving a partial file, then close it."""
    with atomic_write(Path(path), "wb") as fh:
        fig.savefig(fh, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
