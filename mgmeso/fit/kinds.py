"""The data kinds a measurement file can hold for fitting: their required columns, abscissa and
grouping quantity, and the names they may be given.
"""

from __future__ import annotations

from ..errors import DataError

#: data kinds: required columns (alternatives joined by '|'), abscissa, grouping quantity
KINDS = {
    "dma-isochronal": (("temperature", "E_loss|tan_delta"), "temperature", "frequency"),
    "dma-isothermal": (("temperature", "frequency", "E_loss|tan_delta"), "frequency", "temperature"),
    "creep": (("time", "strain"), "time", None),
    "creep-recovery": (("time", "strain", "stress"), "time", None),
    "relaxation": (("time", "stress"), "time", "temperature"),
}
_ALIASES = {"stress-relaxation": "relaxation"}
#: package column of each quantity
_PKG = {"temperature": "temperature_K", "time": "time_s", "frequency": "frequency_Hz",
        "E_loss": "E_loss_MPa", "tan_delta": "tan_delta", "strain": "strain", "stress": "stress_MPa"}


def normalise_kind(kind: str) -> str:
    """``dma_isothermal`` (config spelling) and ``dma-isothermal`` both name one kind.

    Parameters
    ----------
    kind : str
        A data kind in either spelling.

    Returns
    -------
    str
        The kind as in :data:`KINDS`.

    Raises
    ------
    DataError
        For an unknown kind.
    """
    k = str(kind).strip().lower().replace("_", "-")
    k = _ALIASES.get(k, k)
    if k not in KINDS:
        raise DataError(f"--kind {kind!r}: must be one of {', '.join(KINDS)} (underscores, as in "
                        f"the configs' dma_isothermal, are accepted too)")
    return k
