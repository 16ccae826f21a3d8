"""The ChargeX faces a simulated MREC charger sends come from the fault-code catalogue, and the
fleet's list of such models is checked where it enters."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from app.cli.main import cli
from app.fault_codes import load_catalogue
from app.simulator.chargex_faces import ChargeXFace, face_for_fault, inoperative_info
from app.simulator.config import FleetConfig
from app.simulator.faults import fault_catalogue


def test_every_simulated_chargex_face_is_a_catalogue_code_of_that_fault() -> None:
    catalogue = load_catalogue()
    with_code = {}
    for spec in fault_catalogue().values():
        face = face_for_fault(spec.key)
        if face is None:
            continue
        entry = catalogue.chargex[face.code]
        assert (entry.fault, entry.name, entry.ocpp16) == (spec.key, face.name, face.ocpp16)
        with_code[spec.key] = face.code
    # the safety faces the simulator draws are among them; a firmware hang has no MREC code
    assert {"ground_fault": "CX002", "welded_contactor": "CX017"}.items() <= with_code.items()
    assert "firmware_hang" not in with_code


def test_the_inoperative_follow_up_names_its_cause_within_50_characters() -> None:
    face = face_for_fault("ground_fault")
    assert face is not None
    assert inoperative_info(face) == "caused_by:GroundFailure"
    long = ChargeXFace(face.code, "x" * 80, face.ocpp16, face.meaning)
    assert len(inoperative_info(long)) == 50


def test_an_unknown_chargex_model_is_refused_by_name() -> None:
    with pytest.raises(ValidationError, match=r"unknown charger model.*acme_x1.*known: "):
        FleetConfig(chargex_models=("voltara_wb22", "acme_x1"))
    assert FleetConfig(chargex_models=("kestrel_kx300",)).chargex_models == ("kestrel_kx300",)


def test_the_cli_names_an_unknown_chargex_model() -> None:
    result = CliRunner().invoke(cli, ["simulate", "--chargex-models", "voltara_wb22,acme_x1"])
    assert result.exit_code == 2
    assert "unknown charger model(s) acme_x1" in " ".join(result.output.split())
