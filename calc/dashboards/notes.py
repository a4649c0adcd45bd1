"""What a page says about the policies themselves on its as-of date: which are not in force, which dates are
assumed (the 若干措施's issue date is not in the text: ``validity.assumption`` in its YAML)."""

from __future__ import annotations

import datetime as dt
from typing import Iterable

from calc.dashboards.common import policy_set
from calc.dashboards.html import esc
from calc.dashboards.words import policy_short, text


def not_in_force(as_of: dt.date, policy_ids: Iterable[str] | None = None) -> list[str]:
    """The policies (of ``policy_ids``, default all) not in force on ``as_of``, in the catalogue's order."""
    pol = policy_set().policies
    wanted = list(pol) if policy_ids is None else [p for p in pol if p in set(policy_ids)]
    return [p for p in wanted if not pol[p].in_force(as_of)]


def assumptions(lang: str = "zh", as_of: dt.date | None = None) -> list[tuple[str, str]]:
    """(policy id, sentence) for every policy whose dates are assumed, not read from its text: the core's own
    words (:meth:`calc.policies.PolicySet.assumptions`, which also says when ``as_of`` falls in the months the
    assumption decides), or, with a core that has no such method, the policy's ``validity.assumption`` dates."""
    pol = policy_set()
    if hasattr(pol, "assumptions"):
        return [(a.policy_id, a.text(lang)) for a in pol.assumptions(as_of)]
    out = []
    for pid, p in pol.policies.items():
        if getattr(p, "validity_assumption", ""):
            out.append((pid, f"{policy_short(pid, lang)}：" + text("assumed_dates", lang, range=p.validity_text())))
    return out


def in_force_html(as_of: dt.date, lang: str = "zh", policy_ids: Iterable[str] | None = None) -> str:
    """A line above the results: the policies not in force (or none at all), and the assumed dates."""
    ids = list(policy_set().policies) if policy_ids is None else list(policy_ids)
    out = not_in_force(as_of, ids)
    parts = []
    if out and len(out) == len(ids):
        parts.append(text("none_in_force", lang, date=as_of.isoformat()))
    elif out:
        names = "、".join(f"{policy_short(p, lang)}（{policy_set().policies[p].validity_text()}）" for p in out)
        parts.append(text("not_in_force_note", lang, date=as_of.isoformat(), names=names))
    parts += [s for pid, s in assumptions(lang, as_of) if pid in ids]
    if not parts:
        return ""
    cls = "dash-warn" if out else "dash-note"
    return f'<div class="{cls} w-in-force" data-out="{esc(",".join(out))}">' + "".join(
        f"<div>{esc(p)}</div>" for p in parts) + "</div>"


def consortium_policies() -> list[str]:
    """The policies with consortium conditions (the checker's four jurisdictions)."""
    return [pid for pid, p in policy_set().policies.items() if p.criteria]
