"""Rank likely root causes of a rise in defects (or a shifted measurement) from genealogy.

1. Every suspect is tested: each categorical level against the rest (one-sided Fisher exact:
   do its units fail more often?), each numeric factor's worst range (corrected for the
   ranges searched). A measurement is compared with Welch's t-test (two-sided).
2. Benjamini-Hochberg turns p into q over all tests; suspects with q < alpha (and at least
   ``min_defects`` failed units) are significant.
3. Confounding: two significant suspects that share units are tested inside each other's
   absence. One that vanishes where the other is absent is *dismissed* as explained by it;
   if neither can be told from the other (they nearly always co-occur, or both vanish), they
   are one cause with *inseparable* suspects, never two independent blames.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from openfab.quality.rca import statistics as st
from openfab.quality.rca import wording
from openfab.quality.rca.candidates import Candidate, categorical, level_phrase, numeric
from openfab.quality.rca.columns import Outcome, Table, build
from openfab.quality.rca.model import (
    Cause,
    Confidence,
    Dismissed,
    Evidence,
    Factor,
    InspectedUnit,
    RootCauseReport,
    Suspect,
)

Mask = NDArray[np.bool_]
SAME = 0.9
"""Jaccard overlap from which two suspects are the same units for all practical purposes."""
ENTANGLED = 0.5
"""Share of the smaller suspect's units inside the other, from which 'both vanish' means
'cannot be told apart' rather than 'two weak, independent causes'."""


@dataclass
class _Group:
    lead: Candidate
    inseparable: list[Candidate] = field(default_factory=list)


@dataclass(frozen=True)
class _Context:
    table: Table
    outcome: Outcome
    alpha: float
    min_units: int

    def pvalues(self, masks: NDArray[np.bool_], within: Mask) -> NDArray[np.float64]:
        if self.outcome == "measurement":
            assert self.table.measurement is not None
            return st.welch(self.table.measurement, masks, within)
        return st.fisher_greater(self.table.defect, masks, within)

    def p_within(self, c: Candidate, within: Mask) -> float | None:
        """p of ``c`` among ``within`` units; None when either side is too small to test."""
        w = within & c.known
        n = int((c.mask & w).sum())
        if n < self.min_units or int(w.sum()) - n < self.min_units:
            return None
        return float(self.pvalues(c.mask[None, :], w)[0])


def _candidates(ctx: _Context, max_levels: int) -> tuple[list[Candidate], list[str], list[str]]:
    found: list[Candidate] = []
    tested, skipped = [], []
    two_sided = ctx.outcome == "measurement"
    for col in ctx.table.columns:
        if col.factor.kind == "categorical":
            cands, why = categorical(col, ctx.pvalues, ctx.min_units, max_levels)
        else:
            cands, why = numeric(col, ctx.pvalues, ctx.min_units, two_sided)
        if why:
            skipped.append(why)
        else:
            tested.append(col.factor.name)
        found += cands
    return found, tested, skipped


def _evidence(ctx: _Context, c: Candidate, q: float, within: Mask | None = None) -> Evidence:
    w = c.known if within is None else within & c.known
    t = ctx.table
    if ctx.outcome == "measurement":
        assert t.measurement is not None
        m1, m0, d, lo, hi = st.mean_shift(t.measurement, c.mask, w)
        return Evidence(
            "Welch t-test (two-sided)",
            c.p_value,
            q,
            "mean shift",
            d,
            lo,
            hi,
            int((c.mask & w).sum()),
            int((~c.mask & w).sum()),
            exposed_mean=m1,
            other_mean=m0,
            cuts_tried=c.cuts,
        )
    k = st.counts(t.defect, c.mask, w)
    rr, lo, hi = st.risk_ratio(k)
    rb = None
    if c.suspect.kind == "numeric":
        col = next(col for col in t.columns if col.factor.name == c.suspect.factor)
        assert col.values is not None
        rb = st.rank_biserial(col.values, t.defect)
    return Evidence(
        "Fisher exact (one-sided)",
        c.p_value,
        q,
        "risk ratio",
        rr,
        lo,
        hi,
        k.exposed,
        k.other,
        k.exposed_defects,
        k.other_defects,
        st.odds_ratio(k),
        rank_biserial=rb,
        cuts_tried=c.cuts,
    )


def _state(p: float | None, alpha: float) -> int:
    """2: still significant without the other suspect; 1: too few units left to tell;
    0: its excess vanishes without the other."""
    if p is None:
        return 1
    return 2 if p < alpha else 0


def _relate(ctx: _Context, a: Candidate, c: Candidate) -> str:
    """'independent', 'same', 'c_explained' or 'a_explained' for two overlapping suspects.

    Each is tested where the other is absent. The one that keeps its excess there explains
    the one that loses it; one that cannot be tested there (it lies inside the other) sits
    between the two."""
    both = int((a.mask & c.mask).sum())
    if both == 0:
        return "independent"
    if both / int((a.mask | c.mask).sum()) >= SAME:
        return "same"
    sc = _state(ctx.p_within(c, ~a.mask & a.known), ctx.alpha)
    sa = _state(ctx.p_within(a, ~c.mask & c.known), ctx.alpha)
    if sa > sc:
        return "c_explained"
    if sc > sa:
        return "a_explained"
    if sa == 2:
        return "independent"
    entangled = both / min(int(a.mask.sum()), int(c.mask.sum())) >= ENTANGLED
    return "same" if sa == 1 or entangled else "independent"


def _resolve(
    ctx: _Context, significant: list[Candidate]
) -> tuple[list[_Group], list[tuple[Candidate, Candidate]]]:
    groups: list[_Group] = []
    dismissed: list[tuple[Candidate, Candidate]] = []  # (suspect, explained by)
    for c in significant:
        placed = False
        for g in groups:
            rel = _relate(ctx, g.lead, c)
            if rel == "same":
                g.inseparable.append(c)
            elif rel == "c_explained":
                dismissed.append((c, g.lead))
            elif rel == "a_explained":
                dismissed.append((g.lead, c))
                g.lead = c
            else:
                continue
            placed = True
            break
        if not placed:
            groups.append(_Group(c))
    return groups, dismissed


def _subject(ctx: _Context, s: Suspect) -> str:
    if s.kind == "categorical":
        factor = next(col.factor for col in ctx.table.columns if col.factor.name == s.factor)
        assert s.level is not None
        return level_phrase(factor, s.level)
    return f"with {s.description}"


def _confidence(ev: Evidence, min_defects: int) -> Confidence:
    support = ev.exposed_defects if ev.exposed_defects is not None else ev.exposed_units // 2
    if ev.q_value < 1e-3 and support >= 2 * min_defects:
        return "high"
    return "medium" if ev.q_value < 1e-2 else "low"


def _cause(ctx: _Context, rank: int, g: _Group, q: dict[int, float], min_defects: int) -> Cause:
    lead = g.lead
    ev = _evidence(ctx, lead, q[id(lead)])
    other = "elsewhere" if lead.suspect.kind == "categorical" else "otherwise"
    sentence = wording.cause_sentence(_subject(ctx, lead.suspect), ev, other)
    for c in g.inseparable:
        shared = int((lead.mask & c.mask).sum())
        sentence += (
            f" {_upper(c.suspect.description)} went with it ({shared} of "
            f"{int((lead.mask | c.mask).sum())} units shared): these data cannot tell them apart."
        )
    return Cause(
        rank,
        lead.suspect,
        ev,
        _confidence(ev, min_defects),
        sentence,
        tuple(c.suspect for c in g.inseparable),
    )


def _upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _dismissal(ctx: _Context, c: Candidate, by: Candidate) -> Dismissed:
    outside = ~by.mask & by.known
    p = ctx.p_within(c, outside)
    if p is not None:
        ev = _evidence(ctx, c, 1.0, outside)
        where = f"without {by.suspect.description}"
        other = "among the rest"
    else:  # c lies (almost) inside `by`: is it worse than the rest of `by`?
        inside = by.mask & by.known
        p = ctx.p_within(c, inside)
        ev = _evidence(ctx, c, 1.0, inside)
        where = f"among units with {by.suspect.description}"
        other = "for the rest of them"
    if ev.exposed_defects is not None:
        numbers = wording.rates(ev, other)
    else:
        numbers = f"measured {ev.exposed_mean:.4g} vs {ev.other_mean:.4g} {other}"
    test = f", {wording.pval(p)}" if p is not None else " (too few units to test)"
    sentence = (
        f"{_upper(c.suspect.description)} looks worse only through "
        f"{by.suspect.description}: {where}, units {_subject(ctx, c.suspect)} {numbers}{test}."
    )
    return Dismissed(c.suspect, by.suspect, 1.0 if p is None else p, sentence)


def _summary(
    causes: Sequence[Cause],
    table: Table,
    outcome: Outcome,
    cands: list[Candidate],
    q: NDArray[np.float64],
    tested: list[str],
) -> str:
    n, d = len(table.units), int(table.defect.sum())
    what = f"{n} units, {d} failed" if outcome == "defect" else f"{n} units measured"
    scope = f"{len(tested)} factors ({len(cands)} tests; {what})"
    if causes:
        head = causes[0].suspect.description
        return f"{len(causes)} likely cause(s) among {scope}; first: {head}."
    if not cands:
        return f"No cause could be tested among {scope}."
    best = int(np.argmin(q))
    return (
        f"No significant cause among {scope}: the strongest suspect, "
        f"{cands[best].suspect.description}, has q = {q[best]:.2g}."
    )


def rank_causes(
    units: Sequence[InspectedUnit],
    *,
    factors: Sequence[Factor] | None = None,
    outcome: Outcome = "defect",
    defect_type: str | None = None,
    alpha: float = 0.05,
    min_units: int = 5,
    min_defects: int = 3,
    max_levels: int = 60,
) -> RootCauseReport:
    """Likely causes, strongest first, with dismissed look-alikes and an honest summary.

    ``factors`` says which genealogy factors to test and how to word them (default: every
    factor the units record, numeric when all its values are numbers). With ``defect_type``
    only that type counts as failed and units with other defects are left out."""
    table = build(units, factors, outcome=outcome, defect_type=defect_type)
    ctx = _Context(table, outcome, alpha, max(2, min_units))
    cands, tested, skipped = _candidates(ctx, max_levels)
    p = np.array([c.p_value for c in cands])
    q = st.bh_qvalues(p)
    qs = {id(c): float(qi) for c, qi in zip(cands, q, strict=True)}
    significant = [
        c
        for c, qi in zip(cands, q, strict=True)
        if qi < alpha
        and (outcome == "measurement" or int((table.defect & c.mask).sum()) >= min_defects)
    ]
    significant.sort(key=lambda c: (qs[id(c)], c.p_value))
    groups, dismissed = _resolve(ctx, significant)
    groups.sort(key=lambda g: (qs[id(g.lead)], g.lead.p_value))
    causes = tuple(_cause(ctx, i + 1, g, qs, min_defects) for i, g in enumerate(groups))
    return RootCauseReport(
        causes=causes,
        dismissed=tuple(_dismissal(ctx, c, by) for c, by in dismissed),
        units=len(table.units),
        defects=int(table.defect.sum()) if outcome == "defect" else None,
        tests=len(cands),
        factors_tested=tuple(tested),
        skipped=tuple(skipped),
        summary=_summary(causes, table, outcome, cands, q, tested),
    )


def rank_causes_by_type(
    units: Sequence[InspectedUnit], **options: object
) -> dict[str, RootCauseReport]:
    """One report per defect type seen (a scratch and a short circuit rarely share a cause)."""
    types = sorted({u.defect_type for u in units if u.defect and u.defect_type})
    return {t: rank_causes(units, defect_type=t, **options) for t in types}  # type: ignore[arg-type]
