"""Validation errors name the file, the line and the node; the CLI reports them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli.procedures import procedures_cli
from app.procedures.graph import to_dot
from app.procedures.schema import procedure_json_schema
from app.procedures.validation import validate_file, validate_text
from tests.procedures.helpers import action, instruction, proc_yaml, terminal, yes_no

EXAMPLE = Path(__file__).parents[2] / "knowledge_base" / "procedures" / "example-soft-reset.yaml"


def _errors(text: str) -> list[str]:
    return [str(i) for i in validate_text(text, "p.yaml").errors]


def test_example_procedure_is_valid() -> None:
    report = validate_file(EXAMPLE)
    assert report.ok, [str(i) for i in report.issues]
    assert report.procedure is not None and report.procedure.status == "published"
    types = {n.type for n in report.procedure.nodes}
    assert types == {"instruction", "question", "remote_action", "check_state", "terminal"}


def test_sample_knowledge_base_procedures_validate() -> None:
    for path in sorted(EXAMPLE.parent.glob("*.yaml")):
        report = validate_file(path)
        if report.procedure is not None and report.procedure.status == "published":
            assert report.ok, [str(i) for i in report.issues]


def test_yaml_syntax_error_has_line() -> None:
    errors = _errors("id: x\ntitle: [unclosed\nstart: a\n")
    assert len(errors) == 1 and errors[0].startswith("p.yaml:")


def test_duplicate_yaml_key_reported_with_both_lines() -> None:
    errors = _errors("id: x\ntitle: a\ntitle: b\n")
    assert errors == ["p.yaml:3: duplicate key 'title' (first on line 2) [error]"]


def test_yes_and_no_are_strings_not_booleans() -> None:
    text = EXAMPLE.read_text().replace("value: charging,", "value: no,")
    report = validate_text(text, "p.yaml")
    assert report.ok
    assert report.procedure.node("ask_test_charge").choices[0].value == "no"


def test_unknown_key_and_missing_field_point_at_the_node() -> None:
    text = EXAMPLE.read_text().replace("    title: Hard reset\n", "    titel: Hard reset\n")
    errors = _errors(text)
    line = text.splitlines().index("    titel: Hard reset") + 1
    assert (
        f"p.yaml:{line}: node 'hard_reset' titel: Extra inputs are not permitted [error]" in errors
    )
    assert any("node 'hard_reset' title: Field required" in e for e in errors)


def test_bad_command_parameter() -> None:
    text = EXAMPLE.read_text().replace("params: {type: soft}", "params: {type: medium}")
    line = text.splitlines().index("    params: {type: medium}") + 1
    (error,) = _errors(text)
    assert error.startswith(
        f"p.yaml:{line}: node 'soft_reset' params: bad parameters for reset: type"
    )


def test_unknown_parameter_and_unknown_command() -> None:
    text = proc_yaml(
        "r",
        action("r", "unlock_connector", params={"connecter": 1}),
        terminal("ok"),
        terminal("fail"),
    )
    assert any("connecter: Extra inputs are not permitted" in e for e in _errors(text))
    text = proc_yaml("r", action("r", "format_disk"), terminal("ok"), terminal("fail"))
    assert any("node 'r' command: Input should be 'reset'" in e for e in _errors(text))


def test_unknown_node_type_and_question_kind() -> None:
    text = proc_yaml("a", {"id": "a", "type": "wait", "title": "a"})
    assert any("node 'a' type: unknown type 'wait'" in e for e in _errors(text))
    text = proc_yaml("a", {"id": "a", "type": "question", "title": "a"})
    assert any("node 'a' kind: missing 'kind'" in e for e in _errors(text))


def test_duplicate_node_ids() -> None:
    text = proc_yaml("a", instruction("a", "ok"), terminal("ok"), terminal("ok"))
    (error,) = _errors(text)
    assert "node 'ok' id: duplicate node id 'ok'" in error
    line = [i for i, s in enumerate(text.splitlines(), 1) if s == "- id: ok"][-1]
    assert error.startswith(f"p.yaml:{line}:")


def test_reference_to_unknown_node_names_the_field_and_line() -> None:
    text = proc_yaml("a", yes_no("a", "ok", "nowhere"), terminal("ok"))
    (error,) = _errors(text)
    line = text.splitlines().index("  on_no: nowhere") + 1
    assert error == f"p.yaml:{line}: node 'a' on_no: reference to unknown node 'nowhere' [error]"


def test_missing_start_node() -> None:
    (error,) = _errors(proc_yaml("zz", terminal("ok")))
    assert "start: start node 'zz' does not exist" in error


def test_unreachable_node() -> None:
    errors = _errors(proc_yaml("a", instruction("a", "ok"), terminal("ok"), terminal("orphan")))
    assert errors == [
        f"p.yaml:{_line_of('orphan')}: node 'orphan' id: "
        "node is unreachable from the start node [error]"
    ]


def _line_of(node_id: str) -> int:
    text = proc_yaml("a", instruction("a", "ok"), terminal("ok"), terminal("orphan"))
    return text.splitlines().index(f"- id: {node_id}") + 1


def test_unbounded_loop_and_no_terminal() -> None:
    text = proc_yaml("a", instruction("a", "b"), instruction("b", "a"))
    errors = _errors(text)
    assert any("loop without a bound: a -> b -> a" in e for e in errors)
    assert any("node 'a' id: no path from this node ends in a terminal" in e for e in errors)


def test_bounded_loop_is_valid() -> None:
    text = proc_yaml(
        "a", instruction("a", "q", max_visits=3), yes_no("q", "ok", "a"), terminal("ok")
    )
    assert _errors(text) == []


def test_loop_with_exit_but_no_bound_is_rejected() -> None:
    text = proc_yaml("a", instruction("a", "q"), yes_no("q", "ok", "a"), terminal("ok"))
    assert any("loop without a bound: a -> q -> a" in e for e in _errors(text))


def test_self_loop_through_retry_action_is_rejected() -> None:
    text = proc_yaml("r", action("r", on_failure="r"), terminal("ok"))
    assert any("loop without a bound: r -> r" in e for e in _errors(text))


def test_on_exhausted_back_into_the_loop_and_without_max_visits() -> None:
    text = proc_yaml(
        "a",
        instruction("a", "q", max_visits=2, on_exhausted="q"),
        yes_no("q", "ok", "a"),
        terminal("ok"),
    )
    assert any("on_exhausted target 'q' leads back" in e for e in _errors(text))
    text = proc_yaml("a", instruction("a", "ok", on_exhausted="ok"), terminal("ok"))
    assert any("on_exhausted without max_visits" in e for e in _errors(text))


@pytest.mark.parametrize(
    ("node", "message"),
    [
        (
            {
                "id": "c",
                "type": "question",
                "kind": "choice",
                "title": "c",
                "choices": [
                    {"value": "a", "label": "A", "next": "ok"},
                    {"value": "a", "label": "B", "next": "ok"},
                ],
            },
            "duplicate choice values: a",
        ),
        (
            {
                "id": "m",
                "type": "question",
                "kind": "measurement",
                "title": "m",
                "unit": "V",
                "expected": {"min": 5, "max": 1},
                "in_range": "ok",
                "out_of_range": "ok",
            },
            "min 5.0 is above max 1.0",
        ),
        (
            {
                "id": "s",
                "type": "check_state",
                "title": "s",
                "branches": [{"when": {}, "next": "ok"}],
                "otherwise": "ok",
            },
            "needs at least one test",
        ),
        (
            {"id": "t", "type": "terminal", "title": "t", "outcome": "resolved", "parts": ["fuse"]},
            "only meaningful for outcome site_visit",
        ),
        (
            {"id": "BadId", "type": "terminal", "title": "t", "outcome": "resolved"},
            "should match pattern",
        ),
    ],
)
def test_node_level_schema_errors(node: dict, message: str) -> None:
    errors = _errors(proc_yaml(node["id"], node, terminal("ok")))
    assert any(message in e for e in errors), errors


def test_draft_may_be_invalid_but_is_not_ok() -> None:
    report = validate_text(proc_yaml("a", instruction("a", "nowhere")), "p.yaml")
    assert report.procedure is not None and report.procedure.status == "draft"
    assert not report.ok


def test_json_schema_documents_fields_and_node_types() -> None:
    schema = procedure_json_schema()
    text = json.dumps(schema)
    for name in (
        "InstructionNode",
        "YesNoQuestion",
        "ChoiceQuestion",
        "MeasurementQuestion",
        "RemoteActionNode",
        "CheckStateNode",
        "TerminalNode",
        "StateCondition",
    ):
        assert name in schema["$defs"]
    assert schema["$defs"]["RemoteActionNode"]["properties"]["allow_during_transaction"][
        "description"
    ]
    assert '"not"' in text  # the alias, as authors write it


def test_cli_validate_schema_and_graph(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(procedures_cli, ["validate", str(EXAMPLE)])
    assert ok.exit_code == 0 and "OK (example-soft-reset v1, 19 nodes)" in ok.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(proc_yaml("a", instruction("a", "nowhere")))
    result = runner.invoke(procedures_cli, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{bad}:" in result.output and "reference to unknown node 'nowhere'" in result.output
    out = tmp_path / "schema.json"
    assert runner.invoke(procedures_cli, ["schema", "-o", str(out)]).exit_code == 0
    assert json.loads(out.read_text())["title"] == "ChargeFix troubleshooting procedure"
    dot = runner.invoke(procedures_cli, ["graph", str(EXAMPLE)])
    assert dot.exit_code == 0 and dot.output.startswith('digraph "example-soft-reset"')


def test_dot_highlights_a_path() -> None:
    report = validate_file(EXAMPLE)
    dot = to_dot(report.procedure, highlight=["check_online", "announce_reset"])
    assert '"check_online" -> "announce_reset" [label="otherwise", penwidth=2.5' in dot
    assert '"soft_reset" -> "reset_ineffective_escalate" [label="exhausted", style=dashed]' in dot
