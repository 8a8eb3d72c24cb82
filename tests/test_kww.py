"""Exact Laplace-Carson transform of the KWW creep term against independent references."""

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import gamma

from mgmeso.theory.kww import kww_carson, kww_carson_paper


def mp_ray(x, chi, theta=1.2, dps=25):
    """K(x, chi) by mpmath tanh-sinh quadrature along the ray arg(u) = -theta.

    A different contour (theta = 1.2 rad instead of pi/4), a different
    quadrature and 25 digits: agreement is evidence, not tautology.
    """
    mp.mp.dps = dps
    x, chi, th = mp.mpf(x), mp.mpf(chi), mp.mpf(theta)
    a, b = mp.exp(-1j * chi * th), mp.exp(-1j * th)
    s = 1 / (1 + x**chi)
    pts = [0] + [s * mp.mpf(10) ** k for k in range(-6, 7)] + [mp.inf]
    return complex(a * mp.quad(lambda r: mp.exp(-r * a - 1j * x * b * r ** (1 / chi)), pts))


def mp_laplace(x, chi, dps=25):
    """K = 1 - i x G with G on the imaginary axis (valid for chi < 1)."""
    mp.mp.dps = dps
    x, chi = mp.mpf(x), mp.mpf(chi)
    c = mp.exp(-1j * mp.pi * chi / 2)
    pts = [0] + [mp.mpf(10) ** k for k in range(-12, 40)] + [mp.inf]
    G = -1j * mp.quad(lambda s: mp.exp(-s**chi * c - x * s), pts)
    return complex(1 - 1j * x * G)


CHIS = [0.1, 0.17, 0.25, 0.33, 0.4, 0.5, 0.62, 0.75, 0.88, 0.97, 1.0]
XS = np.logspace(-6, 6, 13)


@pytest.mark.parametrize("chi", CHIS)
def test_against_mpmath_ray(chi):
    got = kww_carson(XS, chi)
    ref = np.array([mp_ray(x, chi) for x in XS])
    rel = np.abs(got - ref) / np.abs(ref)
    assert rel.max() < 1e-8, (chi, XS[np.argmax(rel)], rel.max())


@pytest.mark.parametrize("chi", [0.2, 0.45, 0.7])
def test_against_mpmath_laplace_contour(chi):
    xs = np.logspace(-2, 6, 9)
    got = kww_carson(xs, chi)
    ref = np.array([mp_laplace(x, chi) for x in xs])
    assert np.max(np.abs(got - ref) / np.abs(ref)) < 1e-8


def test_half_closed_form():
    """chi = 1/2: K(p) = sqrt(pi)/(2 sqrt p) exp(1/(4p)) erfc(1/(2 sqrt p)), p = i x."""
    mp.mp.dps = 30
    xs = np.logspace(-6, 6, 25)
    ref = []
    for x in xs:
        p = mp.mpc(0, x)
        ref.append(complex(mp.sqrt(mp.pi) / (2 * mp.sqrt(p)) * mp.exp(1 / (4 * p))
                           * mp.erfc(1 / (2 * mp.sqrt(p)))))
    got = kww_carson(xs, 0.5)
    assert np.max(np.abs(got - np.array(ref)) / np.abs(ref)) < 1e-10


def test_debye_limit_exact():
    xs = np.logspace(-6, 6, 50)
    assert np.allclose(kww_carson(xs, 1.0), 1 / (1 + 1j * xs), rtol=1e-15, atol=0)


def test_large_x_asymptote_has_gamma_factor():
    """docs/model.md E10: the leading term is Gamma(1+chi) (i x)^-chi; Eq. 25b omits Gamma(1+chi)."""
    chi = 0.4
    x = 1e12
    K = kww_carson(x, chi)
    lead = gamma(1 + chi) * kww_carson_paper(x, chi)
    assert abs(K - lead) / abs(lead) < 1e-3
    assert abs(K / kww_carson_paper(x, chi)) == pytest.approx(gamma(1 + chi), rel=1e-3)


def test_low_frequency_limit_bounded():
    """Exact form stays bounded (-> 1) at low frequency; the paper form diverges (docs/model.md E10)."""
    for chi in (0.3, 0.6, 0.9):
        assert abs(kww_carson(1e-9, chi) - 1) < 1e-2
        assert abs(kww_carson_paper(1e-9, chi)) > 10


@settings(max_examples=300, deadline=None)
@given(x=st.floats(1e-6, 1e6), chi=st.floats(0.05, 1.0))
def test_characteristic_function_bounds(x, chi):
    """K is the characteristic function of a positive variable: |K| <= 1, K'' >= 0 (J'' >= 0)."""
    K = complex(kww_carson(x, chi))
    assert abs(K) <= 1 + 1e-12
    assert -K.imag >= -1e-15
    assert 0 <= K.real <= 1 + 1e-12


def test_vectorised_broadcast_and_errors():
    out = kww_carson(np.array([[1.0], [10.0]]), np.array([0.3, 0.6, 1.0]))
    assert out.shape == (2, 3)
    with pytest.raises(ValueError):
        kww_carson(-1.0, 0.5)
    with pytest.raises(ValueError):
        kww_carson(1.0, 1.5)


@pytest.mark.parametrize("chi", [0.2, 0.4, 0.7, 1.0])
def test_kww_creep_integral_against_mpmath(chi):
    """Psi(u) = Int_0^u (1 - exp(-(s/tau)^chi)) ds to 1e-13 relative, from u/tau = 1e-12 to 1e4.

    The small-u end is where the old ``u - Int exp`` form cancelled (Psi/u ~ (u/tau)^chi).
    """
    from mgmeso.theory.volterra import kww_creep_integral

    mp.mp.dps = 30
    tau = 3.7
    for u in np.geomspace(1e-12, 1e4, 17) * tau:
        ref = mp.quad(lambda s: -mp.expm1(-(s / tau) ** chi), [0, u / 2, u])
        assert kww_creep_integral(u, tau, chi) == pytest.approx(float(ref), rel=1e-13)
