"""Fitting QPD material parameters to DMA, creep and relaxation data (docs/fit.md)."""
