"""Managers' reports as plain data: periods, the privacy floor, figures and their words."""
