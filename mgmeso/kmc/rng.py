"""xoshiro256** random numbers for the numba kernels, with explicit, saveable state.

numba's own ``np.random`` inside jitted code keeps hidden global state that
cannot be saved in a checkpoint; these kernels take the 4-word state as a
``uint64[4]`` array and advance it in place, so a run can be stopped and
resumed bit for bit. The generator is xoshiro256** ([Blackman2021], preprint 2018):
period 2^256 - 1, passes BigCrush. States are seeded from a numpy
``SeedSequence`` (never all zero).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, uint64

__all__ = ["next_u64", "uniform", "uniform_open", "exponential", "seed_state"]

_TWO_M53 = 1.0 / 9007199254740992.0  # 2^-53


@njit(cache=True, inline="always")
def _rotl(x, k):
    return (x << uint64(k)) | (x >> uint64(64 - k))


@njit(cache=True)
def next_u64(s):
    """Next 64-bit output; advances the state ``s`` (uint64[4]) in place.

    Parameters
    ----------
    s : numpy.ndarray
        uint64 (4,): the generator state.

    Returns
    -------
    numpy.uint64
        The output.
    """
    s0 = s[0]
    s1 = s[1]
    s2 = s[2]
    s3 = s[3]
    result = _rotl(s1 * uint64(5), 7) * uint64(9)
    t = s1 << uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    s[0] = s0
    s[1] = s1
    s[2] = s2
    s[3] = s3
    return result


@njit(cache=True)
def uniform(s):
    """Uniform double in [0, 1) with 53 random bits.

    Parameters
    ----------
    s : numpy.ndarray
        uint64 (4,): the generator state, advanced in place.

    Returns
    -------
    float
        The variate.
    """
    return float(next_u64(s) >> uint64(11)) * _TWO_M53


@njit(cache=True)
def uniform_open(s):
    """Uniform double in (0, 1] (safe for log).

    Parameters
    ----------
    s : numpy.ndarray
        uint64 (4,): the generator state, advanced in place.

    Returns
    -------
    float
        The variate.
    """
    return (float(next_u64(s) >> uint64(11)) + 1.0) * _TWO_M53


@njit(cache=True)
def exponential(s):
    """Exp(1) variate by inversion.

    Parameters
    ----------
    s : numpy.ndarray
        uint64 (4,): the generator state, advanced in place.

    Returns
    -------
    float
        The variate.
    """
    return -math.log(uniform_open(s))


def seed_state(seed_seq: np.random.SeedSequence) -> np.ndarray:
    """Return a fresh uint64[4] xoshiro state from a SeedSequence (never all zero).

    Parameters
    ----------
    seed_seq : numpy.random.SeedSequence
        The stream's seed sequence.

    Returns
    -------
    numpy.ndarray
        uint64 (4,).
    """
    st = seed_seq.generate_state(4, dtype=np.uint64)
    if not st.any():
        st[0] = np.uint64(0x9E3779B97F4A7C15)
    return st
