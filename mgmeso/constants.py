"""Physical constants and unit conversions used at the package boundaries.

Public units (docs/model.md): stress MPa, time s, temperature K, energy kJ/mol,
frequency Hz. Internally energies are J/mol.
"""

R_J_PER_MOL_K = 8.314462618  # molar gas constant, J/(mol K)
K_B_EV_PER_K = 8.617333262e-5  # Boltzmann constant, eV/K
EV_TO_J_PER_MOL = 96485.33212  # 1 eV per particle in J/mol
SECONDS_PER_MINUTE = 60.0
