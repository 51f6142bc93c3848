"""The AI lab: studies and experiments, surrogate models, Bayesian optimization of recipes and
cell designs, a PyBaMM virtual cell, and the release of a chosen design to production.

Engines (no I/O): ``space``, ``study``, ``experiments``, ``sampling``, ``surrogate``,
``optimizer``, ``modelling``, ``cell``. Around them: ``service`` (per tenant, with events),
``cli`` (``openfab lab``) and the REST router ``openfab.api.routers.lab``. Nothing heavy is
imported here, so the platform starts without loading torch.
"""
