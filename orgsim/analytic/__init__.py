"""Formulas, no simulation: queueing theory and the capacity of a design from its flows."""
