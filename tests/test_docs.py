"""The documentation says what the code does.

* ``docs/instance-format.md`` is exactly what ``python -m optimizer.docs`` prints, and names
  every table, column, policy kind and field of the schema; its example ``instance.yaml`` is
  valid.
* ``docs/results.md`` documents every results table and column, every summary field, status,
  cost term, dual family and ``expected.json`` key the code produces.
* ``docs/cli.md`` documents every ``m2m`` command, argument and option, and the exit codes.
* Relative links between the documents lead to files that exist.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
import yaml
from pydantic import TypeAdapter

from optimizer import docs

from optimizer.core import contract

from optimizer.results import expected
from optimizer.cli import EXIT_INPUT, EXIT_INTERNAL, EXIT_NO_SOLUTION, EXIT_OK, main
from optimizer.solving.extract import COLUMNS
from optimizer.solving.infeasibility import INFEASIBILITY_COLUMNS
from optimizer.input.load import load_instance
from optimizer.model.build import MODEL_TERMS, build_model
from optimizer.pipeline import run
from optimizer.input.schema import FREE_TEXT, POLICY_KINDS, TABLES, InstanceHeader, Policy, PolicyBase, Scenario
from optimizer.solving.solver import Status
from tests.helpers import two_mine_chain

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def section(text: str, heading: str) -> str:
    """The text under ``heading`` (a whole heading line) up to the next heading of its level or above."""
    lines = text.splitlines()
    level = len(heading) - len(heading.lstrip("#"))
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == heading)
    except StopIteration:
        raise AssertionError(f"heading {heading!r} not found") from None
    out = []
    for line in lines[start + 1:]:
        m = re.match(r"^(#+) ", line)
        if m and len(m.group(1)) <= level:
            break
        out.append(line)
    return "\n".join(out)


def table_names(text: str) -> set[str]:
    """Names in the first column of the markdown tables in ``text`` (written as `name`)."""
    return set(re.findall(r"^\| `([^`]+)` \|", text, flags=re.MULTILINE))


def first_table(text: str) -> str:
    """The first markdown table in ``text``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    return "\n".join(lines[start:end])


# --------------------------------------------------------------------------------------------
# docs/instance-format.md
# --------------------------------------------------------------------------------------------


def test_results_reference_is_generated_from_the_contract():
    text = read("results.md")
    assert text == docs.render_results(text), (
        "docs/results.md differs from optimizer/core/contract.py: run `make docs` and commit the result"
    )
    blocks = [m.group(2) for m in docs.BLOCK.finditer(text)]
    assert blocks == ["files", *contract.RESULT_TABLES, *contract.HEDGE_TABLES], \
        "every results table has its generated column table, in order"


def test_a_results_block_for_no_table_is_refused():
    with pytest.raises(KeyError, match="no results table 'nope'"):
        docs.render_results("<!-- contract: nope -->\n<!-- /contract -->")


def test_instance_format_is_generated_from_the_schema():
    assert read("instance-format.md") == docs.render(), (
        "docs/instance-format.md differs from the schema: run `make docs` and commit the result"
    )


@pytest.mark.parametrize("name", list(TABLES))
def test_every_table_and_column_is_in_the_instance_format(name):
    spec = TABLES[name]
    text = read("instance-format.md")
    kind = "required" if spec.required else "optional"
    part = section(text, f"### `{spec.default_file}` ({kind})")
    assert set(spec.row.model_fields) - set(FREE_TEXT) == table_names(part)
    assert ", ".join(f"`{k}`" for k in spec.key) in part


def test_the_free_text_columns_are_documented_once():
    part = section(read("instance-format.md"), "## Tables")
    assert set(FREE_TEXT) <= table_names(part.split("### ")[0])


@pytest.mark.parametrize("kind", list(POLICY_KINDS))
def test_every_policy_kind_and_field_is_in_the_instance_format(kind):
    cls = POLICY_KINDS[kind]
    part = section(read("instance-format.md"), f"### `{kind}`")
    own = set(cls.model_fields) - set(PolicyBase.model_fields) - {"kind"}
    assert own == table_names(part)


def test_header_scenario_and_common_policy_fields_are_in_the_instance_format():
    text = read("instance-format.md")
    assert set(InstanceHeader.model_fields) == table_names(section(text, "## `instance.yaml`"))
    assert set(Scenario.model_fields) == table_names(section(text, "## Scenarios"))
    assert set(PolicyBase.model_fields) == table_names(first_table(section(text, "## Policies")))


def test_example_instance_yaml_is_valid():
    data = yaml.safe_load(docs.EXAMPLE_YAML)
    header = InstanceHeader.model_validate(data)
    adapter = TypeAdapter(Policy)
    policies = [adapter.validate_python(p) for p in header.policies]
    names = {p.name for p in policies}
    for sc in header.scenarios.values():
        scenario = Scenario.model_validate(sc)
        assert set(scenario.update_policies) <= names
        assert set(scenario.remove_policies) <= names
        assert set(scenario.patch) <= set(TABLES)
    assert set(header.tables) <= set(TABLES)
    assert docs.EXAMPLE_YAML.strip() in read("instance-format.md")


# --------------------------------------------------------------------------------------------
# docs/results.md
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["chain", "demo"])
def solved(request, tmp_path_factory):
    """Solved runs to compare the documented fields with what the code writes: a plain LP, and
    the demo (integer decisions, provenance tags, every kind of timing)."""
    if request.param == "demo":
        return run(ROOT / "instances" / "demo_mine_to_magnet")
    folder = two_mine_chain(tmp_path_factory.mktemp("docs") / "chain", periods=[2025, 2026], discount_rate=0.05)
    return run(folder)


@pytest.mark.parametrize("name", list(COLUMNS))
def test_every_results_table_and_column_is_documented(name):
    part = section(read("results.md"), f"## `{name}.csv`")
    assert set(COLUMNS[name]) == table_names(first_table(part))


def test_infeasibility_csv_is_documented():
    part = section(read("results.md"), "## `infeasibility.csv`")
    assert set(INFEASIBILITY_COLUMNS) == table_names(first_table(part))


def test_every_status_is_documented():
    part = section(read("results.md"), "## `summary.json`")
    for status in Status:
        assert f"`{status.value}`" in part, status


def test_every_cost_term_is_documented():
    costs = section(read("results.md"), "## `costs.csv`")
    model = read("model.md")
    for term in MODEL_TERMS:
        if term == "violation":
            continue  # only in the diagnostic model, never in a results table
        assert f"| `{term}` |" in costs, term
        assert f"| `{term}` |" in model, term


def test_every_dual_family_is_documented(solved):
    built = build_model(solved.instance)
    part = section(read("results.md"), "## `duals.csv`")
    model = section(read("model.md"), "## Duals in planner units")
    assert set(built.families) == table_names(part) - set(COLUMNS["duals"])
    for family, spec in built.families.items():
        row = re.search(rf"^\| `{family}` \|.*$", part, flags=re.MULTILINE)
        assert row is not None, family
        assert f"`{family}`" in model, family
        if isinstance(spec.unit, str):  # a unit that depends on the row is described in words
            assert spec.unit in row.group(0), (family, spec.unit)


def test_every_summary_field_is_documented(solved):
    part = section(read("results.md"), "## `summary.json`")
    documented = table_names(part)
    summary = solved.summary
    optional = {"infeasibility", "iis"}  # present only for an infeasible run
    assert set(summary) <= documented
    assert optional <= documented
    for key in ("instance", "stamp", "size"):
        for sub in summary[key]:
            assert f"`{sub}`" in part, f"{key}.{sub}"
    for sub in summary["stamp"]["options"]:
        assert f"`{sub}`" in part, f"stamp.options.{sub}"
    for sub in summary["timings"]:
        assert f"`{sub}`" in part, f"timings.{sub}"


def test_every_expected_json_key_is_documented(solved):
    part = section(read("results.md"), "## `expected.json`: pinned results of shipped instances")
    documented = table_names(part)
    assert set(expected.entry(solved)) <= documented
    assert "infeasibility" in documented
    for family in expected.PINNED_DUALS:
        assert f"`{family}`" in part


@pytest.mark.parametrize("doc", ["results.md", "cli.md"])
def test_exit_codes_are_documented(doc):
    part = section(read(doc), "## Exit codes")
    for code in (EXIT_OK, EXIT_NO_SOLUTION, EXIT_INPUT, EXIT_INTERNAL):
        assert re.search(rf"^\| {code} \|", part, flags=re.MULTILINE), code


# --------------------------------------------------------------------------------------------
# docs/cli.md
# --------------------------------------------------------------------------------------------


def _mentions(text: str, token: str) -> bool:
    return re.search(r"`" + re.escape(token) + r"[` \]]", text) is not None


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_argument_and_option_is_documented(command):
    cmd = main.commands[command]
    part = section(read("cli.md"), f"## `m2m {command}`")
    assert part.count("```console") >= 1, f"no example for m2m {command}"
    for param in cmd.params:
        if isinstance(param, click.Argument):
            assert _mentions(part, param.human_readable_name), param.name
            continue
        for opt in [*param.opts, *param.secondary_opts]:
            assert _mentions(part, opt), f"m2m {command} {opt}"
        if isinstance(param.type, click.Choice):
            for choice in param.type.choices:
                assert choice in part, f"m2m {command} {param.opts[0]} {choice}"


def test_top_level_options_are_documented():
    ctx = click.Context(main)
    head = read("cli.md").split("\n## ")[0]
    for param in main.get_params(ctx):
        for opt in [*param.opts, *param.secondary_opts]:
            assert _mentions(head, opt), opt


# --------------------------------------------------------------------------------------------
# links
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["README.md", *(f"docs/{p.name}" for p in sorted(DOCS.glob("*.md")))])
def test_relative_links_lead_to_files(path):
    source = ROOT / path
    text = source.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        file = target.split("#", 1)[0]
        assert (source.parent / file).exists(), f"{path}: broken link {target}"


def test_every_reference_the_loader_checks_is_listed_in_the_format_reference():
    from optimizer.core.refs import refs_of
    from optimizer.families import POLICY_FAMILIES as KINDS

    text = read("instance-format.md")
    for spec in TABLES.values():
        for column in refs_of(spec.row):
            assert f"`{spec.default_file}` `{column}`" in text
    for family in KINDS:
        for column in refs_of(family.schema):
            assert f"`{family.name}` `{column}`" in text


def test_an_unknown_code_is_refused_at_its_cell_for_every_declared_reference(tmp_path):
    """A code no table defines, in any column that declares a reference, is one finding at that cell."""
    from optimizer.core.errors import InputError
    from optimizer.core.refs import refs_of

    for name in ("recipes", "lanes", "demands", "facilities"):
        for column in refs_of(TABLES[name].row):
            folder = two_mine_chain(tmp_path / f"{name}-{column}")
            path = folder / TABLES[name].default_file
            lines = path.read_text().splitlines()
            header = lines[0].split(",")
            cells = lines[1].split(",")
            cells[header.index(column)] = "nowhere"
            path.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n")
            with pytest.raises(InputError) as exc:
                load_instance(folder)
            lines_ = [str(f) for f in exc.value.findings]
            assert any(f":2:{column}: unknown" in f and "'nowhere'" in f for f in lines_), (name, column, lines_)
