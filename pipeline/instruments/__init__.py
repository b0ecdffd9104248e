"""Questionnaire definitions and the generic scorer."""
