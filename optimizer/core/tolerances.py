"""Every tolerance of the tool, named once with what it means.

Quantities are in the units of what they compare (t/yr, units of activity/yr, USD, fractions);
"relative" tolerances are scaled by the size of the row or value they judge.
"""

#: Below this a value is written as 0 in the results tables (solver noise; t/yr, units/yr, USD).
ZERO = 1e-7

#: Below this a share's denominator counts as zero (t/yr): the share is undefined (blank).
ZERO_DENOMINATOR = 1e-7

#: A share cap is reported binding when its share is at least the cap minus this (fraction).
BINDING_TOL = 1e-6

#: A dual below this (in planner units) is zero: it is not listed for families listed only when non-zero.
DUAL_ZERO = 1e-9

#: Below this total a row's variables carry nothing (t/yr): the row's dual is not determined by the plan.
NOTHING_FLOWS = 1e-9

#: A value the provenance relabelling LP moves by less than this, relative to max(1, |value|), keeps
#: the first solve's value: the second LP's float noise does not touch what it did not relabel.
RELABEL_KEEP = 1e-9

#: A 0/1 decision (open, built) read from the solver or a table is 1 above this and 0 below.
HALF = 0.5

#: Default relative tolerance of ``m2m check``, its optimality certificate and ``m2m compare``:
#: a row passes when its violation is at most this times max(1, the row's largest term).
CHECK_TOL = 1e-6

#: A slack of the infeasibility diagnosis above this is a violation reported in infeasibility.csv.
VIOLATION_TOL = 1e-6

#: expected.json pins hold when |got - want| <= ABS + REL x |want|.
PIN_REL_TOL = 1e-6
PIN_ABS_TOL = 1e-6
