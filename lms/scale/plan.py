"""How much of everything a trust of a given size holds: DESIGN.md §6 times a factor."""

from __future__ import annotations

from dataclasses import dataclass

# A large merged trust (DESIGN.md §6), at factor 1.
TRUST = {
    "staff": 20_000,
    "courses": 600,
    "cohorts": 3_000,
    "sessions": 12_000,
    "enrolments": 120_000,
    "attendance_records": 600_000,
}


@dataclass(frozen=True)
class Plan:
    factor: float
    staff: int
    courses: int
    cohorts: int
    sessions: int
    enrolments: int
    attendance_records: int
    trainers: int
    admins: int
    departments: int

    @classmethod
    def for_factor(cls, factor: float) -> Plan:
        if factor <= 0:
            raise ValueError("the factor must be more than 0")
        counts = {name: max(1, round(value * factor)) for name, value in TRUST.items()}
        counts["courses"] = max(counts["courses"], 6)
        counts["cohorts"] = max(counts["cohorts"], counts["courses"], 40)
        # The four demo accounts and the teams behind them need a few dozen people.
        counts["staff"] = max(counts["staff"], 60)
        return cls(
            factor=factor,
            trainers=max(3, round(30 * factor)),
            admins=max(2, round(6 * factor)),
            departments=max(4, counts["staff"] // 40),
            **counts,
        )
