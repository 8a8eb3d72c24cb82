"""Physical constants and unit conversions used at the package boundaries.

Public units (docs/model.md): stress MPa, time s, temperature K, energy kJ/mol,
frequency Hz. Internally energies are J/mol.
"""

R_J_PER_MOL_K = 8.314462618  # molar gas constant, J/(mol K)
SECONDS_PER_MINUTE = 60.0
