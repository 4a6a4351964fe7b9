"""The dashboard counts "not understood" from the bot's record of each turn, and leaves the
dialogue evaluation's conversations out."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time
from pathlib import Path

from sqlalchemy import text

from actions.policy import NOT_UNDERSTOOD as POLICY_NOT_UNDERSTOOD
from console import reports
from console.events import NOT_UNDERSTOOD, load_conversations
from tthc_data.engine import engine_for, session_scope
from tthc_data.migrate import upgrade

DDL = ("CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, sender_id VARCHAR(255) NOT NULL, "
       "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), "
       "data TEXT)")


def test_the_console_and_the_policy_agree_on_not_understood() -> None:
    assert set(NOT_UNDERSTOOD) == set(POLICY_NOT_UNDERSTOOD)


def _turn(conn, sender: str, message: str, intent: str, record: dict[str, object], at: float) -> None:  # type: ignore[no-untyped-def]
    rows = [
        ("user", intent, None, {"text": message, "input_channel": "rest",
                                "parse_data": {"intent": {"name": intent, "confidence": 0.95}}}),
        ("action", None, "action_respond", {"name": "action_respond"}),
        ("slot", None, None, {"name": "procedure_code", "value": "1.001193"}),
        ("slot", None, None, {"name": "turn", "value": record}),
        ("bot", None, None, {"text": "..."}),
    ]
    for i, (kind, intent_name, action, data) in enumerate(rows):
        conn.execute(text("INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data) "
                          "VALUES (:s, :k, :t, :i, :a, :d)"),
                     {"s": sender, "k": kind, "t": at + i / 100, "i": intent_name, "a": action,
                      "d": json.dumps({"event": kind, **data}, ensure_ascii=False)})


def test_not_understood_comes_from_the_turn_record(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url)
    engine = engine_for(url)
    now = time.time() - 60
    with engine.begin() as conn:
        conn.execute(text(DDL))
        # the NLU was sure, but the bot had to ask which procedure: not understood
        _turn(conn, "citizen", "làm giấy tờ cho con", "ask_procedure",
              {"outcome": "clarify", "codes": ["1.001193", "1.014062"], "aspect": "general"}, now)
        # the NLU fell back, but the search answered: understood
        _turn(conn, "citizen", "khai sinh o dau", "nlu_fallback",
              {"outcome": "answer", "codes": ["1.001193"], "aspect": "place"}, now + 1)
        _turn(conn, "citizen", "cảm ơn", "thank", {"outcome": "thanks", "codes": [], "aspect": None}, now + 2)
        _turn(conn, "eval-run1-birth", "asdf", "nlu_fallback",
              {"outcome": "rephrase", "codes": [], "aspect": None}, now + 3)
    conversations = load_conversations(engine)
    turns = conversations["citizen"].user_turns
    assert [t.outcome for t in turns] == ["clarify", "answer", "thanks"]
    assert [t.fallback for t in turns] == [True, False, False]
    assert [t.procedure_code for t in turns] == [None, "1.001193", None]  # answered only
    assert conversations["eval-run1-birth"].is_evaluation
    today = dt.datetime.now(dt.timezone.utc).date()
    with session_scope(engine) as session:
        board = reports.dashboard(conversations, session, today - dt.timedelta(days=1), today)
    assert board.totals["messages"] == 3 and board.totals["conversations"] == 1
    assert board.totals["fallback_rate"] == round(1 / 3, 3)
    assert board.top_procedures == [("1.001193", 1)]


def test_the_csv_export_never_starts_a_cell_with_a_formula(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url)
    engine = engine_for(url)
    now = time.time() - 60
    attacks = ["=HYPERLINK(\"http://x.example\",\"bấm\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\r=1"]
    with engine.begin() as conn:
        conn.execute(text(DDL))
        for i, attack in enumerate(attacks):
            _turn(conn, "=cmd|' /C calc'!A0", attack, "ask_fee", {"outcome": "answer", "codes": [], "aspect": "fee"},
                  now + i)
        _turn(conn, "citizen", "lệ phí - bao nhiêu", "ask_fee", {"outcome": "answer", "codes": [], "aspect": "fee"},
              now + 10)
    exported = reports.export_csv(load_conversations(engine))
    rows = list(csv.DictReader(io.StringIO(exported.lstrip("\ufeff"))))
    cells = [cell for row in rows for cell in row.values()]
    assert cells and not any(cell.startswith(reports.FORMULA_STARTS) for cell in cells)
    texts = [row["text"] for row in rows if row["who"] == "user"]
    assert texts[:len(attacks)] == ["'" + a for a in attacks]  # kept whole, shown as text
    assert "lệ phí - bao nhiêu" in texts and {row["sender_id"] for row in rows} == {"'=cmd|' /C calc'!A0", "citizen"}


def test_stored_text_with_a_lone_surrogate_is_shown_and_exported(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url)
    engine = engine_for(url)
    with engine.begin() as conn:
        conn.execute(text(DDL))
        # stored by an older version: JSON's escape keeps the unpaired surrogate in the database
        data = json.dumps({"event": "user", "text": "\ud800 abc", "input_channel": "rest",
                           "parse_data": {"intent": {"name": "ask_fee", "confidence": 0.9}}})
        assert "\\ud800" in data
        conn.execute(text("INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data) "
                          "VALUES ('a', 'user', :t, 'ask_fee', NULL, :d)"), {"t": time.time() - 60, "d": data})
    conversations = load_conversations(engine)
    assert conversations["a"].user_turns[0].text == "\ufffd abc"
    for exported in (reports.export_csv(conversations), reports.export_json(conversations)):
        assert "\ufffd abc" in exported.encode("utf-8").decode("utf-8")
