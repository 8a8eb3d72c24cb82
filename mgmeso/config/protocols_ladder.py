"""The protocols that step or ramp through temperature while loading: stepped relaxation
([Duan2022]) and cyclic beta training ([Zhang2023]).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .fields import param
from .protocol_base import _FREQ, _POS, _PPD, _T, _TFIRST, _TIME, _grid, _Protocol


@dataclass(frozen=True, kw_only=True)
class SteppedRelaxation(_Protocol):
    """Step-wise isothermal stress relaxation from RT towards the alpha peak ([Duan2022])."""

    kind: ClassVar[str] = "stepped_relaxation"
    T_start_K: float = param(300.0, doc="first step temperature", **_T)
    T_end_K: float = param(480.0, doc="last step temperature", **_T)
    T_step_K: float = param(3.0, unit="K", doc="temperature increment between steps",
                            why="a spacing must be positive", source="[Duan2022], protocol with Fig. 2",
                            **_POS)
    hold_s: float = param(1800.0, doc="relaxation time per step", source="[Duan2022], protocol with Fig. 2",
                          **_TIME)
    strain: float = param(0.005, doc="strain applied at each step", lo=0.0, hi=0.05, lo_open=True,
                          why="[Duan2022] uses a small, equal strain of 0.3-0.6 %",
                          source="[Duan2022], protocol with Fig. 2")
    first_sample_s: float = param(0.5, doc="time of the first recorded stress (sigma_0)",
                                  source="[Hao2023] Sec. I: DMA records from 0.5 s after loading",
                                  **_TFIRST)
    points_per_decade: int = param(10, doc="log-spaced samples per decade within a step", **_PPD)
    second_run_cooling_K_per_min: float = param(
        0.0, unit="K/min", doc="kMC only: after the last step, cool to T_start_K at this rate and "
        "run the steps again (the relaxed state; 0: one run)", lo=0.0, hi=1e3,
        why="0 (one run) or a positive cooling rate", source="[Duan2022] Fig. 3 (second cycle): 0.1 K/min")

    def stepped_relaxation(self):
        """See `_Protocol.stepped_relaxation`."""
        return self

    def check(self):
        """Cross-key checks, run by :func:`~mgmeso.config.fields.parse_table` after the ranges.

        Returns
        -------
        list of str
            One message per problem (empty: the table is consistent).
        """
        msgs = _grid("T_start_K", self.T_start_K, "T_end_K", self.T_end_K, "T_step_K", self.T_step_K,
                     max_points=100_000)
        if self.first_sample_s >= self.hold_s:
            msgs.append(f"first_sample_s = {self.first_sample_s:g} must be below hold_s = {self.hold_s:g}")
        return msgs

    def kmc_cases(self):
        """Compile the whole temperature ladder into one kMC case.

        Returns
        -------
        list of (str, LoadingProgram)
            One item: the protocol's kind and its program.
        """
        from ..program import compile_stepped
        return [(self.kind, compile_stepped(self))]


@dataclass(frozen=True, kw_only=True)
class CyclicTraining(_Protocol):
    """Cyclic 'beta training' while heating, and its input energy ([Zhang2023] Fig. 1-2)."""

    kind: ClassVar[str] = "cyclic_training"
    frequency_Hz: tuple[float, ...] = param((10.0,), doc="training frequency or list of frequencies",
                                            source="[Zhang2023] Sec. 2.2: 0.01, 0.1, 1, 10 Hz", **_FREQ)
    strain_amplitude: float = param(0.002, doc="cyclic strain amplitude", lo=0.0, hi=0.05,
                                    lo_open=True, why="a small cyclic strain",
                                    source="[Zhang2023] Sec. 2.2: 0.2 %")
    T_start_K: float = param(298.0, doc="start of heating (room temperature, assumed)", **_T)
    T_end_K: float = param(383.0, doc="end of heating", source="[Zhang2023] Sec. 2.2, Fig. 2", **_T)
    heating_rate_K_per_min: float = param(3.0, unit="K/min", doc="heating rate",
                                          why="a rate must be positive",
                                          source="[Zhang2023] Sec. 2.2, Fig. 2", **_POS)
    cooling_rate_K_per_min: float = param(3.0, unit="K/min", doc="cooling rate back to T_start "
                                          "(not given in [Zhang2023]; kMC only)",
                                          why="a rate must be positive", **_POS)
    terminal_temperatures_K: tuple[float, ...] = param(
        (323.0, 343.0, 363.0, 383.0), doc="temperatures at which the accumulated input energy is "
        "reported", source="[Zhang2023] Fig. 1", **_T)
    T_step_K: float = param(0.25, unit="K", doc="temperature spacing of the output",
                            why="a spacing must be positive", **_POS)
    post_scan_T_end_K: float = param(
        0.0, unit="K", doc="kMC only: after cooling, a 1 Hz DMA scan at heating_rate_K_per_min "
        "up to this temperature (0: none; [Zhang2023] Fig. 4a: post-training scan)", lo=0.0, hi=5000.0,
        why="0 (no scan) or an absolute temperature above T_start_K")
    post_creep_stress_MPa: float = param(
        0.0, unit="MPa", doc="kMC only: after cooling, heat to post_creep_temperature_K, hold "
        "post_creep_hold_s at zero stress and creep at this stress (0: no creep test)",
        lo=0.0, hi=1e4, why="0 (no creep test) or a creep stress below sigma1",
        source="[Zhang2023] Sec. 2.2, Fig. 6: 25 MPa at 403 K after a 10-min hold")
    post_creep_temperature_K: float = param(403.0, doc="temperature of the post-training creep test",
                                            source="[Zhang2023] Fig. 6", **_T)
    post_creep_hold_s: float = param(600.0, unit="s", doc="hold at zero stress before the creep "
                                     "test", lo=0.0, hi=1e7, why="a duration between 0 and 1e7 s",
                                     source="[Zhang2023] Sec. 2.2: 10 min")
    post_creep_time_s: float = param(1200.0, unit="s", doc="duration of the post-training creep "
                                     "test (not stated in [Zhang2023]; read from Fig. 6a, assumed)",
                                     lo=0.0, lo_open=True, hi=1e7,
                                     why="a positive duration up to 1e7 s")

    def check(self):
        """Cross-key checks, run by :func:`~mgmeso.config.fields.parse_table` after the ranges.

        Returns
        -------
        list of str
            One message per problem (empty: the table is consistent).
        """
        msgs = _grid("T_start_K", self.T_start_K, "T_end_K", self.T_end_K, "T_step_K", self.T_step_K)
        if 0.0 < self.post_scan_T_end_K <= self.T_start_K:
            msgs.append(f"post_scan_T_end_K = {self.post_scan_T_end_K:g} must be above T_start_K = "
                        f"{self.T_start_K:g} (or 0 for no scan)")
        if self.post_scan_T_end_K > 0 and self.post_creep_stress_MPa > 0:
            msgs.append(f"post_scan_T_end_K = {self.post_scan_T_end_K:g} and post_creep_stress_MPa = "
                        f"{self.post_creep_stress_MPa:g}: choose one post-training test (the scan "
                        f"would anneal the sample before the creep test; [Zhang2023] uses separate "
                        f"ribbons)")
        for i, T in enumerate(self.terminal_temperatures_K):
            if not (self.T_start_K < T <= self.T_end_K):
                msgs.append(f"terminal_temperatures_K[{i}] = {T:g} must lie in (T_start_K, T_end_K] "
                            f"= ({self.T_start_K:g}, {self.T_end_K:g}]")
        return msgs


    def kmc_cases(self):
        """One case per training frequency and an untrained reference.

        Returns
        -------
        list of (str, LoadingProgram)
            Label and program of each case.
        """
        from ..program import compile_training
        return compile_training(self)
