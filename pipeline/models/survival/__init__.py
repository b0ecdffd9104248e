"""Survival models: the family's time-to-event sets and estimators (``_*.py``) and its models.

Family code: :mod:`._survival` (the time-to-event analysis sets) and :mod:`._survival_fit`
(Kaplan-Meier, log-rank, Cox and the proportional-hazards test) and :mod:`._competing`
(Aalen-Johansen cumulative incidence, Gray's test). Every public module here is one
registered model.
"""
