"""Q-expressions: the parse whitelist, text round trips, every op in memory and in SQL, the
two-valued null rules of SPEC 3, text case rules, relations and the error sentences."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ffdesk.engine.base import (
    JSON,
    Boolean,
    Char,
    D,
    Date,
    Datetime,
    Float,
    Integer,
    ManyToOne,
    Model,
    Q,
    Selection,
    ValidationError,
)
from ffdesk.engine.q import OPS, Name, missing_result
from tests.engine.helpers import MemorySecrets, run, to_mapping
from tests.engine.page_models import PAGE_DECLARATIONS


class Shop(Model):
    _ffdesk_module = "qshops"
    name = Char(max_length=50)
    rank = Integer()
    score = Float()
    is_open = Boolean()
    opened = Date()
    seen = Datetime()
    kind = Selection(choices=["A", "B", "C"])
    data = JSON()
    owner = ManyToOne("Company", related_name="shops", on_delete="SET NULL")
    parent = ManyToOne("Shop", related_name="branches", on_delete="SET NULL")


class Item(Model):
    _ffdesk_module = "qshops"
    shop = ManyToOne("Shop", related_name="items", on_delete="CASCADE")
    label = Char(max_length=50)
    qty = Integer()


@pytest.fixture
def env(make_env: Any) -> Any:
    env = make_env([Shop, Item, *PAGE_DECLARATIONS], secrets=MemorySecrets())
    Company = env.registry["Company"]
    a = run(Company.create(name="A"))
    b = run(Company.create(name="B"))
    env.cid, env.cids = a.id, [a.id, b.id]
    return env


def ids_in_sql(model: Any, q: Q) -> set[int]:
    return set(run(model.filter(q).ids()))


def ids_in_memory(model: Any, q: Q, **names: Any) -> set[int]:
    records = run(model.all())
    return {r.id for r in records if q.matches(r, **names)}


def ids_in_mappings(model: Any, q: Q, **names: Any) -> set[int]:
    records = run(model.all())
    return {r.id for r in records if q.matches(to_mapping(r), **names)}


def agree(model: Any, q: Q) -> set[int]:
    """The ids `q` selects, after checking that SQL, records and mappings all agree (also
    for `~q` and for the text form parsed back)."""
    every = set(run(model.all().ids()))
    sql = ids_in_sql(model, q)
    assert ids_in_memory(model, q) == sql, q
    assert ids_in_mappings(model, q) == sql, q
    assert ids_in_sql(model, ~q) == every - sql, ~q
    assert ids_in_memory(model, ~q) == every - sql, ~q
    again = Q.parse(q.to_text())
    assert again == q and ids_in_sql(model, again) == sql
    return sql


# -- parsing: what is allowed ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        (
            "Q(module__identifier__eq='stripe') & ~Q(enabled__eq=True)",
            "Q(module__identifier__eq='stripe') & ~Q(enabled__eq=True)",
        ),
        ("Q(name='x')", "Q(name__eq='x')"),
        ("  Q(name='x')  ", "Q(name__eq='x')"),
        ("Q(a=1, b='two')", "Q(a__eq=1) & Q(b__eq='two')"),
        ("Q(a=1) | Q(b=2) & Q(c=3)", "Q(a__eq=1) | (Q(b__eq=2) & Q(c__eq=3))"),
        ("(Q(a=1) | Q(b=2)) & Q(c=3)", "(Q(a__eq=1) | Q(b__eq=2)) & Q(c__eq=3)"),
        ("~(Q(a=1) | Q(b=2))", "~(Q(a__eq=1) | Q(b__eq=2))"),
        ("~~Q(a=1)", "~~Q(a__eq=1)"),
        ("Q(a__in=[1, 2, 3])", "Q(a__in=[1, 2, 3])"),
        ("Q(a__nin=(1, 'x', None))", "Q(a__nin=[1, 'x', None])"),
        ("Q(a__in=[])", "Q(a__in=[])"),
        ("Q(a=-1) & Q(b__gt=-2.5) & Q(c=+3)", "Q(a__eq=-1) & Q(b__gt=-2.5) & Q(c__eq=3)"),
        ("Q(a=None, b=True, c=False)", "Q(a__eq=None) & Q(b__eq=True) & Q(c__eq=False)"),
        ("Q(a=1.5e300)", "Q(a__eq=1.5e+300)"),
        ("Q(a__gte=D('today', days=-1))", "Q(a__gte=D('today', days=-1))"),
        ('Q(a__lt=D("now", hours=2, days=1.5))', "Q(a__lt=D('now', days=1.5, hours=2))"),
        ("Q(a__lt=D())", "Q(a__lt=D('today'))"),
        ("Q(a=D(days=-7))", "Q(a__eq=D('today', days=-7))"),
        (
            "Q(company=uid) | Q(company=cid) | Q(company=company_id)",
            "Q(company__eq=uid) | Q(company__eq=cid) | Q(company__eq=company_id)",
        ),
        ("Q(company__in=cids)", "Q(company__in=cids)"),
        ("Q(company__nin=[cid, 7])", "Q(company__nin=[cid, 7])"),
        (
            "Q(name__icontains='ÄRGER \\'quoted\\' \\n')",
            "Q(name__icontains=\"ÄRGER 'quoted' \\n\")",
        ),
        ("Q()", "Q()"),
        ("Q(\n  a=1,\n  b=2,\n)", "Q(a__eq=1) & Q(b__eq=2)"),
        ("Q(a__isnull=True) & Q(b__isnotnull=False)", "Q(a__isnull=True) & Q(b__isnotnull=False)"),
    ],
)
def test_parse_allowed_forms_and_round_trip(text: str, canonical: str) -> None:
    q = Q.parse(text)
    assert q.to_text() == canonical
    again = Q.parse(q.to_text())
    assert again == q and again.to_text() == canonical
    assert Q.parse(q) == q  # a Q is accepted too


def test_parse_values() -> None:
    q = Q.parse("Q(a__in=(1, -2, 'x'), b=D('now', hours=-3), c=cids, d=company_id)")
    values = {lk.path[0]: lk.value for lk in q.iter_lookups()}
    assert values["a"] == [1, -2, "x"]
    assert values["b"] == D("now", hours=-3)
    assert values["c"] == Name("cids") and values["d"] == Name("company_id")
    assert {lk.op for lk in q.iter_lookups()} == {"in", "eq"}
    assert [lk.op for lk in Q.parse("Q(a__icontains='x')").iter_lookups()] == ["icontains"]


def test_d_resolves_relative_dates() -> None:
    today = dt.date.today()
    assert D("today").resolve() == today
    assert D("today", days=-1).resolve() == today - dt.timedelta(days=1)
    midnight = dt.datetime.combine(today, dt.time())
    assert D("today", hours=6).resolve() == midnight + dt.timedelta(hours=6)
    now = D("now", hours=-2).resolve()
    assert isinstance(now, dt.datetime)
    assert abs((dt.datetime.now() - dt.timedelta(hours=2) - now).total_seconds()) < 5
    with pytest.raises(ValidationError, match='D\\(\\) takes "today" or "now"'):
        D("tomorrow")


# -- parsing: what is refused, and how it is said ------------------------------------------
@pytest.mark.parametrize(
    ("text", "parts"),
    [
        (
            "__import__('os')",
            ["\"__import__('os')\"", "calling __import__ is not allowed", "line 1, column 1"],
        ),
        ("Q(a=__import__('os').system('rm'))", ["is not allowed as a value", "line 1, column 5"]),
        ("Q(a=1).x", ["attribute access is not allowed", "line 1, column 1"]),
        ("Q(a=os.path)", ["attribute access is not allowed as a value", "column 5", "(os.path)"]),
        ("Q(a=1).__class__.__bases__", ["attribute access is not allowed"]),
        (
            "Q(a=foo)",
            ["the name 'foo' is not allowed (only uid, cid, company_id, cids)", "column 5"],
        ),
        ("Q(a=1) and Q(b=2)", ["'and'/'or' (use & and |) is not allowed"]),
        ("not Q(a=1)", ["'not' (use ~) is not allowed"]),
        ("Q(a=1) == Q(b=2)", ["a comparison (use Q(field__op=value)) is not allowed"]),
        ("Q(a=1) + Q(b=2)", ["binop syntax is not allowed"]),
        ("Q(1)", ["Q() takes keyword arguments only"]),
        ("Q(**{'a': 1})", ["**-arguments are not allowed"]),
        ("Q(a=[1, [2]])", ["nested lists are not allowed"]),
        ("Q(a={'x': 1})", ["dict syntax is not allowed as a value"]),
        ("Q(a=b'x')", ["a bytes literal is not allowed"]),
        ("Q(a=1j)", ["a complex literal is not allowed"]),
        ("Q(a=lambda: 1)", ["lambda syntax is not allowed as a value"]),
        ("Q(a=D('yesterday'))", ['D() takes "today" or "now"']),
        ("Q(a=D('today', weeks=1))", ["D() has no argument 'weeks' (only days=, hours=)"]),
        ("Q(a=D('today', days='1'))", ["D(days=...) takes a number"]),
        ("Q(a=D(cid))", ['D() takes "today" or "now"']),
        ("Q(a__in=5)", ["Lookup 'a__in' needs a list of values"]),
        ("Q(a__in=cid)", ["Lookup 'a__in' needs a list of values, got cid"]),
        ("Q(a__isnull=1)", ["Lookup 'a__isnull' takes True or False"]),
        ("Q(a____b=1)", ["malformed"]),
        ("Q(a=", ["not valid syntax (line 1, column"]),
        ("", ["it is empty"]),
        ("   ", ["it is empty"]),
        ("Q(a=1)\x00", ["Invalid Q-expression"]),
        ("x" * 20_001, ["longer than 20000 characters"]),
        ("Q(a=1e999)", ["inf is not a number that can be compared"]),
        ("Q(a=99999999999999999999)", ["too large a number"]),
        ("[Q(a=1)][0]", ["not allowed"]),
        ("Q(a=1) if True else Q(b=1)", ["ifexp syntax is not allowed"]),
        ("Q(a=1); Q(b=1)", ["not valid syntax"]),
        ("Q(a=1)(b=2)", ["calling", "is not allowed"]),
        ("Q(a=(yield))", ["yield syntax is not allowed as a value"]),
        ("Q(a=f'{cid}')", ["joinedstr syntax is not allowed as a value"]),
        (
            "Q(kind__eq='a', kind__eq='b')",
            ["Q(kind__eq='a', kind__eq='b')", "the keyword 'kind__eq' is repeated in Q()"],
        ),
        (
            "Q(a=1) | Q(name='x', size__gt=2, name='y')",
            ["the keyword 'name' is repeated", "line 1, column 34"],
        ),
        ("Q(d__gte=D(days=1, days=2))", ["the keyword 'days' is repeated in D()"]),
    ],
)
def test_parse_refuses_with_a_sentence(text: str, parts: list[str]) -> None:
    with pytest.raises(ValidationError) as info:
        Q.parse(text)
    msg = str(info.value)
    assert msg.startswith("Invalid Q-expression ")
    for part in parts:
        assert part in msg, msg
    assert len(msg) < 400


@pytest.mark.parametrize(
    "text",
    [
        "(" * 500 + "Q(a=1)" + ")" * 500,
        "~" * 500 + "Q(a=1)",
        "Q(a=" + "[" * 500 + "]" * 500 + ")",
        "Q(a=" + "-" * 500 + "1)",
        "Q(" * 500,
        "(" * 100_000,
    ],
)
def test_deep_nesting_is_refused(text: str) -> None:
    with pytest.raises(ValidationError) as info:
        Q.parse(text)
    msg = str(info.value)
    assert msg.startswith("Invalid Q-expression ")
    reasons = ("nested too deeply", "not valid syntax", "not allowed", "longer than")
    assert any(reason in msg for reason in reasons), msg
    assert len(msg) < 400


@pytest.mark.parametrize(
    "blob",
    [
        b"\x00\xff\xfe\x80garbage",
        bytes(range(256)),
        b"Q(a=1)",
    ],
)
def test_random_bytes_are_refused(blob: bytes) -> None:
    with pytest.raises(ValidationError, match="A Q-expression must be text, got bytes"):
        Q.parse(blob)
    if blob != b"Q(a=1)":
        with pytest.raises(ValidationError, match="Invalid Q-expression"):
            Q.parse(blob.decode("latin-1"))


def test_long_chains_are_flat_not_deep() -> None:
    text = " & ".join(f"Q(n{i}={i})" for i in range(900))
    q = Q.parse(text)
    assert len(q.children) == 900 and q.connector == "AND"
    assert Q.parse(q.to_text()) == q
    values = {f"n{i}": i for i in range(900)}
    assert q.matches(values)
    values["n700"] = 0
    assert not q.matches(values)
    mixed = Q.parse(" | ".join(["Q(a=1) & Q(b=2)"] * 300))
    assert mixed.connector == "OR" and len(mixed.children) == 300
    assert mixed.matches({"a": 1, "b": 2}) and not mixed.matches({"a": 1, "b": 3})


def test_non_text_values_are_refused() -> None:
    for value in (None, 12, ["Q(a=1)"]):
        with pytest.raises(ValidationError, match="A Q-expression must be text"):
            Q.parse(value)
    with pytest.raises(ValidationError, match="a value of type set is not allowed"):
        Q(a={1})
    with pytest.raises(ValidationError, match="nan is not a number"):
        Q(a=float("nan"))


# -- binding to a model: unknown fields, ops and wrong types -------------------------------
@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("Q(colour='red')", ["Shop has no field 'colour'", "its fields:"]),
        ("Q(parent__colour='red')", ["Lookup 'parent__colour__eq'", "Shop has no field 'colour'"]),
        ("Q(name__like='x')", ["unknown op 'like'", "ops: contains, endswith, eq"]),
        ("Q(parent__like='x')", ["Shop has no field 'like'", "nor is 'like' an op"]),
        ("Q(id__like=1)", ["unknown op 'like'"]),
        ("Q(name__first__letter='x')", ["Shop.name is not a relation, so 'first' cannot follow"]),
        ("Q(items=1)", ["Shop.items lists related records", "items__id__isnotnull=True"]),
        ("Q(rank='5')", ["'5' (str) is the wrong type for Shop.rank (Integer)"]),
        ("Q(rank=True)", ["True (bool) is the wrong type for Shop.rank (Integer)"]),
        ("Q(name=5)", ["5 (int) is the wrong type for Shop.name (Char)"]),
        ("Q(is_open='yes')", ["'yes' (str) is the wrong type for Shop.is_open (Boolean)"]),
        ("Q(is_open__gt=False)", ["Shop.is_open (Boolean) cannot be compared with gt"]),
        ("Q(rank__contains='1')", ["contains works on text fields, not on Shop.rank (Integer)"]),
        ("Q(opened='soon')", ["'soon' (str) is the wrong type for Shop.opened (Date)"]),
        ("Q(opened__in=['2024-01-01', 3])", ["3 (int) is the wrong type for Shop.opened"]),
        ("Q(owner='A')", ["'A' (str) is the wrong type for Shop.owner (ManyToOne)"]),
        ("Q(name=cid)", ["cid is an id, Shop.name is Char"]),
        ("Q(rank=cids)", ["cids is a list; use __in or __nin"]),
        ("Q(name=D('today'))", ["D() compares with dates, Shop.name is Char"]),
        ("Q(rank__gt=None)", ["gt cannot compare with None"]),
        ("Q(name__startswith=None)", ["startswith cannot compare with None"]),
        ("Q(data='x')", ["'x' (str) is the wrong type for Shop.data (JSON)"]),
        ("Q(id='1')", ["'1' (str) is the wrong type for id (Integer)"]),
        ("Q(id__foo__bar=1)", ["'id' has no fields to follow"]),
    ],
)
def test_binding_errors_quote_the_expression(env: Any, text: str, parts: list[str]) -> None:
    ShopM = env.registry["Shop"]
    with pytest.raises(ValidationError) as info:
        ShopM.filter(text)  # raised when the filter is made, before any query runs
    msg = str(info.value)
    assert msg.startswith(f"Invalid Q-expression {text!r} for Shop: Lookup "), msg
    for part in parts:
        assert part in msg, msg
    # The same lookups given as Q objects or keywords fail the same way (no expression quoted).
    with pytest.raises(ValidationError) as again:
        ShopM.filter(Q.parse(text))
    assert str(again.value) in msg


def test_company_scoped_fields_cannot_be_filtered(env: Any) -> None:
    Integration = env.registry["Integration"]
    with pytest.raises(ValidationError, match="company-scoped"):
        run(Integration.filter(api_key="x").count())
    Company = env.registry["Company"]
    with pytest.raises(ValidationError, match="cannot be reached through a relation"):
        Company.filter(integrations__api_key="x")


# -- data for the evaluators ------------------------------------------------------------------
TODAY = dt.date.today()
NOW = dt.datetime.now().replace(microsecond=0)


async def shops(env: Any) -> dict[str, Any]:
    ShopM, ItemM = env.registry["Shop"], env.registry["Item"]
    a, b = env.cids
    rows: dict[str, dict[str, Any]] = {
        "stripe": dict(
            name="Stripe",
            rank=1,
            score=1.5,
            is_open=True,
            kind="A",
            owner=a,
            opened=TODAY,
            seen=NOW,
            data={"k": 1},
        ),
        "lower": dict(
            name="stripe",
            rank=2,
            score=-0.5,
            is_open=False,
            kind="B",
            owner=b,
            opened=TODAY - dt.timedelta(days=3),
            seen=NOW - dt.timedelta(hours=5),
        ),
        "upper": dict(
            name="STRIPE INC", rank=3, score=0.0, kind="C", opened=TODAY + dt.timedelta(days=1)
        ),
        "aerger": dict(name="ÄRGER", rank=4, owner=a),
        "aerger_low": dict(name="ärger", rank=5),
        "strasse": dict(name="Straße", rank=6, score=2.25),
        "strasse_up": dict(name="STRASSE", rank=None, score=None),
        "percent": dict(name="100%", rank=8),
        "under": dict(name="a_b", rank=9),
        "empty": dict(name="", rank=10, is_open=True),
        "none": dict(name=None, rank=None, is_open=None),
    }
    made = {key: await ShopM.create(**values) for key, values in rows.items()}
    made["lower"].parent = made["stripe"]
    await made["lower"].save()
    made["upper"].parent = made["lower"]
    await made["upper"].save()
    for key, qty, label in [
        ("stripe", 1, "one"),
        ("stripe", 5, "five"),
        ("lower", 3, "three"),
        ("lower", None, None),
        ("upper", 7, "Seven"),
    ]:
        await ItemM.create(shop=made[key], qty=qty, label=label)
    return made


def names_of(made: dict[str, Any], ids: set[int]) -> set[str]:
    return {key for key, record in made.items() if record.id in ids}


# -- every op, both evaluators ---------------------------------------------------------------
EVERY_OP = [
    (Q(rank=1), {"stripe"}),
    (Q(rank__eq=None), {"strasse_up", "none"}),
    (
        Q(rank__neq=1),
        {
            "lower",
            "upper",
            "aerger",
            "aerger_low",
            "strasse",
            "strasse_up",
            "percent",
            "under",
            "empty",
            "none",
        },
    ),
    (
        Q(rank__neq=None),
        {
            "stripe",
            "lower",
            "upper",
            "aerger",
            "aerger_low",
            "strasse",
            "percent",
            "under",
            "empty",
        },
    ),
    (Q(rank__gt=8), {"under", "empty"}),
    (Q(rank__gte=8), {"percent", "under", "empty"}),
    (Q(rank__lt=2), {"stripe"}),
    (Q(rank__lte=2), {"stripe", "lower"}),
    (Q(score__gt=0), {"stripe", "strasse"}),
    (Q(score__gte=0.0), {"stripe", "upper", "strasse"}),
    (Q(score__lt=1), {"lower", "upper"}),
    (Q(score__lte=-0.5), {"lower"}),
    (Q(rank__in=[1, 3, None]), {"stripe", "upper"}),
    (Q(rank__in=[]), set()),
    (
        Q(rank__nin=[1, 3]),
        {
            "lower",
            "aerger",
            "aerger_low",
            "strasse",
            "strasse_up",
            "percent",
            "under",
            "empty",
            "none",
        },
    ),
    (
        Q(rank__nin=[]),
        {
            "stripe",
            "lower",
            "upper",
            "aerger",
            "aerger_low",
            "strasse",
            "strasse_up",
            "percent",
            "under",
            "empty",
            "none",
        },
    ),
    (Q(rank__isnull=True), {"strasse_up", "none"}),
    (Q(rank__isnotnull=False), {"strasse_up", "none"}),
    (Q(is_open=True), {"stripe", "empty"}),
    (Q(is_open=False), {"lower"}),
    (Q(is_open__in=[False, True]), {"stripe", "lower", "empty"}),
    (Q(kind="B"), {"lower"}),
    (Q(kind__gt="A"), {"lower", "upper"}),
    (Q(kind__in=["A", "C"]), {"stripe", "upper"}),
    (Q(name="Stripe"), {"stripe"}),
    (Q(name=""), {"empty"}),
    (Q(name__gt="a"), {"lower", "aerger", "aerger_low", "under"}),  # 'Ä' > 'a' (code points)
    (Q(name__lte="STRIPE INC"), {"upper", "strasse_up", "percent", "empty"}),  # 't' > 'T'
    (Q(name__contains="trip"), {"stripe", "lower"}),
    (Q(name__contains="TRIP"), {"upper"}),
    (Q(name__icontains="trip"), {"stripe", "lower", "upper"}),
    (Q(name__startswith="S"), {"stripe", "upper", "strasse", "strasse_up"}),
    (Q(name__istartswith="s"), {"stripe", "lower", "upper", "strasse", "strasse_up"}),
    (Q(name__endswith="e"), {"stripe", "lower", "strasse"}),
    (Q(name__iendswith="E"), {"stripe", "lower", "strasse", "strasse_up"}),
    (
        Q(name__contains=""),
        {
            "stripe",
            "lower",
            "upper",
            "aerger",
            "aerger_low",
            "strasse",
            "strasse_up",
            "percent",
            "under",
            "empty",
        },
    ),
    (Q(name__contains="%"), {"percent"}),
    (Q(name__contains="_"), {"under"}),
    (Q(name__startswith="a_"), {"under"}),
    (Q(name__endswith="0%"), {"percent"}),
    (Q(opened=TODAY), {"stripe"}),
    (Q(opened__gte=D("today", days=-1)), {"stripe", "upper"}),
    (Q(opened__lt=D("today")), {"lower"}),
    (Q(opened__lt=D("now")), {"lower"}),
    (Q(opened__in=[TODAY.isoformat(), TODAY + dt.timedelta(days=1)]), {"stripe", "upper"}),
    (Q(opened__gt=TODAY.isoformat()), {"upper"}),
    (Q(seen__lt=D("now", hours=-1)), {"lower"}),
    (Q(seen__gte=D("today")), {"stripe", "lower"} if NOW.hour >= 5 else {"stripe"}),
    (Q(seen=NOW), {"stripe"}),
    (Q(seen=NOW.isoformat()), {"stripe"}),
    (
        Q(data=None),
        {
            "lower",
            "upper",
            "aerger",
            "aerger_low",
            "strasse",
            "strasse_up",
            "percent",
            "under",
            "empty",
            "none",
        },
    ),
    (Q(data__isnotnull=True), {"stripe"}),
    (Q(id__in=[]), set()),
]


@pytest.mark.parametrize(("q", "expected"), EVERY_OP, ids=[q.to_text() for q, _ in EVERY_OP])
def test_every_op_in_memory_and_in_sql(env: Any, q: Q, expected: set[str]) -> None:
    made = run(shops(env))
    assert names_of(made, agree(env.registry["Shop"], q)) == expected


def test_every_op_is_covered() -> None:
    assert {lk.op for q, _ in EVERY_OP for lk in q.iter_lookups()} == OPS


def test_non_ascii_case_rules(env: Any) -> None:
    made = run(shops(env))
    S = env.registry["Shop"]

    def pick(**lookup: Any) -> set[str]:
        return names_of(made, agree(S, Q(**lookup)))

    assert "ÄRGER".casefold() == "ärger" and "Straße".casefold() == "strasse"
    assert pick(name__icontains="ärg") == {"aerger", "aerger_low"}
    assert pick(name__contains="ärg") == {"aerger_low"}
    assert pick(name__contains="ÄRG") == {"aerger"}
    assert pick(name__icontains="STRASSE") == {"strasse", "strasse_up"}
    assert pick(name__istartswith="straß") == {"strasse", "strasse_up"}
    assert pick(name__iendswith="SSE") == {"strasse", "strasse_up"}
    assert pick(name__endswith="ße") == {"strasse"}
    assert pick(name__startswith="ä") == {"aerger_low"}
    assert pick(name__icontains="ß") == {"strasse", "strasse_up"}  # 'ß' folds to 'ss'
    assert pick(name__in=["ärger"]) == {"aerger_low"}  # eq/in stay exact


# -- the null rules of SPEC 3 ------------------------------------------------------------------
# (lookup, value, result on a missing value, result on rank=5 / name='Abc')
NULL_RULES = [
    ("eq", 5, False, True),
    ("eq", 6, False, False),
    ("eq", None, True, False),
    ("neq", 5, True, False),
    ("neq", 6, True, True),
    ("neq", None, False, True),
    ("gt", 4, False, True),
    ("gte", 5, False, True),
    ("lt", 5, False, False),
    ("lte", 5, False, True),
    ("in", [5, None], False, True),
    ("in", [None], False, False),
    ("in", [], False, False),
    ("nin", [5], True, False),
    ("nin", [6, None], True, True),
    ("nin", [], True, True),
    ("isnull", True, True, False),
    ("isnull", False, False, True),
    ("isnotnull", True, False, True),
    ("isnotnull", False, True, False),
    ("contains", "b", False, True),
    ("icontains", "B", False, True),
    ("startswith", "A", False, True),
    ("istartswith", "a", False, True),
    ("endswith", "c", False, True),
    ("iendswith", "C", False, True),
]


def test_null_rules_follow_the_spec_sentence() -> None:
    # "a lookup on a missing value is false, except eq=None, isnull=True, neq with a
    # non-None value, and nin" (and isnotnull=False, the same test as isnull=True).
    for op, value, on_missing, _ in NULL_RULES:
        assert missing_result(op, value) is on_missing, (op, value)
    assert {r[0] for r in NULL_RULES} == OPS


@pytest.fixture
def null_world(env: Any) -> dict[str, Any]:
    """Shops whose `rank`/`name` are missing in every way a path can miss them."""
    S, I_ = env.registry["Shop"], env.registry["Item"]

    async def build() -> dict[str, Any]:
        full = await S.create(name="Abc", rank=5)
        blank = await S.create(name=None, rank=None)
        w: dict[str, Any] = {"full": full, "blank": blank}
        w["parent_full"] = await S.create(parent=full)  # parent__rank present
        w["parent_blank"] = await S.create(parent=blank)  # parent present, value NULL
        w["parent_none"] = await S.create(parent=None)  # broken path: no parent
        w["items_full"] = await S.create()
        await I_.create(shop=w["items_full"], qty=5, label="Abc")
        w["items_blank"] = await S.create()
        await I_.create(shop=w["items_blank"], qty=None, label=None)
        w["items_none"] = await S.create()  # no items at all
        return w

    return run(build())


@pytest.mark.parametrize(("op", "value", "on_missing", "on_present"), NULL_RULES)
def test_null_rules_in_memory_and_sql(
    env: Any, null_world: dict[str, Any], op: str, value: Any, on_missing: bool, on_present: bool
) -> None:
    S = env.registry["Shop"]
    text_op = op in {"contains", "icontains", "startswith", "istartswith", "endswith", "iendswith"}
    field, item_field = ("name", "label") if text_op else ("rank", "qty")
    cases = {
        f"{field}__{op}": {"full": on_present, "blank": on_missing},
        f"parent__{field}__{op}": {
            "parent_full": on_present,
            "parent_blank": on_missing,
            "parent_none": on_missing,
        },
        f"items__{item_field}__{op}": {
            "items_full": on_present,
            "items_blank": on_missing,
            "items_none": on_missing,
        },
    }
    for key, expected in cases.items():
        q = Q(**{key: value})
        sql = ids_in_sql(S, q)
        mem = ids_in_memory(S, q)
        maps = ids_in_mappings(S, q)
        neg = ids_in_sql(S, ~q)
        for name, want in expected.items():
            rid = null_world[name].id
            assert (rid in sql, rid in mem, rid in maps) == (want, want, want), (key, name)
            assert (rid in neg) is (not want), ("~", key, name)  # ~ is plain negation


def test_broken_relation_path(env: Any) -> None:
    Integration, Module = env.registry["Integration"], env.registry["Module"]
    stripe = run(Module.create(identifier="payment_stripe"))
    linked = run(Integration.create(name="Linked", module=stripe))
    loose = run(Integration.create(name="Loose", module=None))
    cases = [
        (Q(module__identifier="payment_stripe"), {linked.id}),
        (Q(module__identifier__neq="payment_stripe"), {loose.id}),
        (Q(module__identifier=None), {loose.id}),
        (Q(module__identifier__isnull=True), {loose.id}),
        (Q(module__identifier__startswith="p"), {linked.id}),
        (~Q(module__identifier__startswith="p"), {loose.id}),
        (Q(module__identifier__nin=["x"]), {linked.id, loose.id}),
        (Q(module__identifier__in=["payment_stripe", None]), {linked.id}),
        (Q(module=None), {loose.id}),
        (Q(module=stripe), {linked.id}),
        (Q(module__id=stripe.id), {linked.id}),
    ]
    for q, expected in cases:
        assert agree(Integration, q) == expected, q


def test_one_to_many_any_semantics(env: Any) -> None:
    made = run(shops(env))
    S = env.registry["Shop"]

    def pick(q: Q) -> set[str]:
        return names_of(made, agree(S, q))

    assert pick(Q(items__qty__gt=4)) == {"stripe", "upper"}
    assert pick(Q(items__qty__lt=2) & Q(items__qty__gt=4)) == {"stripe"}  # two items
    assert pick(Q(items__qty__lt=2, items__qty__gt=4)) == {"stripe"}
    assert "stripe" not in pick(~Q(items__qty=1))  # one of its items has qty 1
    no_items = {
        "aerger",
        "aerger_low",
        "strasse",
        "strasse_up",
        "percent",
        "under",
        "empty",
        "none",
    }
    assert pick(~Q(items__qty__gt=4)) == {"lower"} | no_items
    assert pick(Q(items__qty=None)) == {"lower"} | no_items  # an item without qty, or none
    assert pick(Q(items__id__isnotnull=True)) == {"stripe", "lower", "upper"}
    assert pick(Q(items__label__icontains="SEVEN")) == {"upper"}
    # Through a many-to-one then a one-to-many, and back.
    assert pick(Q(parent__items__qty=5)) == {"lower"}
    assert pick(Q(branches__name="stripe")) == {"stripe"}
    assert pick(Q(branches__branches__rank=3)) == {"stripe"}
    assert pick(Q(items__shop__rank=2)) == {"lower"}


def test_names_uid_cid_cids(env: Any) -> None:
    made = run(shops(env))
    S = env.registry["Shop"]
    a, b = env.cids
    assert names_of(made, agree(S, Q.parse("Q(owner=cid)"))) == {"stripe", "aerger"}
    assert names_of(made, agree(S, Q.parse("Q(owner=company_id)"))) == {"stripe", "aerger"}
    assert names_of(made, agree(S, Q.parse("Q(owner__in=cids)"))) == {"stripe", "aerger", "lower"}
    assert names_of(made, agree(S, Q.parse("Q(rank=uid)"))) == {"stripe"}
    env.cid = b
    assert names_of(made, agree(S, Q.parse("Q(owner=cid)"))) == {"lower"}
    # Explicit names win over the environment in memory.
    q = Q.parse("Q(owner=cid)")
    assert q.matches(made["stripe"], cid=a) and not q.matches(made["stripe"], cid=b)
    assert q.matches({"owner": {"id": a}}, company_id=a)
    # No active company: cid is None, so `owner=cid` finds records without an owner and
    # `rank__gt=cid` compares nothing.
    env.cid = None
    no_owner = {"upper", "aerger_low", "strasse", "strasse_up", "percent", "under", "empty", "none"}
    assert names_of(made, agree(S, Q.parse("Q(owner=cid)"))) == no_owner
    assert agree(S, Q.parse("Q(rank__gt=cid)")) == set()
    assert agree(S, Q.parse("Q(rank__in=[cid])")) == set()


def test_matches_on_nested_mappings() -> None:
    q = Q.parse("Q(module__identifier__eq='my_service') & ~Q(enabled__eq=True)")
    assert q.matches({"module": {"identifier": "my_service"}, "enabled": False})
    assert not q.matches({"module": {"identifier": "my_service"}, "enabled": True})
    assert not q.matches({"module": None, "enabled": False})
    assert not q.matches({"enabled": False})  # a key that is absent is missing
    assert Q(module__identifier=None).matches({"module": None})
    many = Q(mappings__model="Contact")
    assert many.matches({"mappings": [{"model": "Message"}, {"model": "Contact"}]})
    assert not many.matches({"mappings": []})
    assert (~many).matches({"mappings": []})
    assert Q(mappings__model__neq="x").matches({"mappings": []})
    assert Q(module=3).matches({"module": {"id": 3, "identifier": "x"}})
    assert Q(module=3).matches({"module": 3})
    assert Q(a__in=cids_value()).matches({"a": 2}, cids=[1, 2])
    assert Q(day__lt=D("today")).matches({"day": dt.date(2000, 1, 1)})
    assert Q(day__lt=D("now")).matches({"day": dt.date(2000, 1, 1)})
    assert Q(when__gt=D("today", days=-1)).matches({"when": dt.datetime.now()})
    assert Q(day="2000-01-01").matches({"day": dt.date(2000, 1, 1)})
    assert Q(when__lte="2000-01-01").matches({"when": dt.datetime(2000, 1, 1)})


def cids_value() -> Name:
    return Name("cids")


def test_matches_sees_unsaved_edits(env: Any) -> None:
    Integration, Module = env.registry["Integration"], env.registry["Module"]
    mine = run(Module.create(identifier="my_service"))
    draft = Integration.new(name="Draft")
    visible = Q.parse("Q(module__identifier__eq='my_service')")
    assert not visible.matches(draft)
    draft.module = mine
    assert visible.matches(draft)
    run(draft.get_state())  # the page's get_state: fetch_related on an unsaved assignment
    assert draft.state == "Not Installed" and draft.module == mine
    draft.module = mine.id
    assert visible.matches(draft)
    assert Q(name__startswith="Dr").matches(draft)
    draft.name = "Other"
    assert not Q(name__startswith="Dr").matches(draft)
    assert Q(mappings__model__isnull=True).matches(draft)  # unsaved: no related records


def test_q_objects_compose_and_compare() -> None:
    a, b = Q(x=1), Q(y=2)
    assert (a & b).to_text() == "Q(x__eq=1) & Q(y__eq=2)"
    assert (a | ~b).to_text() == "Q(x__eq=1) | ~Q(y__eq=2)"
    assert ~(a & b) == Q.parse("~(Q(x=1) & Q(y=2))")
    assert hash(Q(x=1)) == hash(Q.parse("Q(x__eq=1)"))
    assert Q(x=1) != Q(x=2)
    assert Q().matches({}) and not (~Q()).matches({})
    assert Q(Q(x=1), Q(y=2), z=3).matches({"x": 1, "y": 2, "z": 3})
    with pytest.raises(TypeError):
        _ = Q(x=1) & "Q(y=1)"  # type: ignore[operator]


def test_empty_q_in_sql(env: Any) -> None:
    run(shops(env))
    S = env.registry["Shop"]
    assert run(S.filter(Q()).count()) == 11
    assert run(S.filter(~Q()).count()) == 0


def test_filter_with_a_record_value(env: Any) -> None:
    made = run(shops(env))
    S = env.registry["Shop"]
    assert names_of(made, agree(S, Q(parent=made["stripe"]))) == {"lower"}
    assert names_of(made, agree(S, Q(parent__in=[made["stripe"], made["lower"]]))) == {
        "lower",
        "upper",
    }
