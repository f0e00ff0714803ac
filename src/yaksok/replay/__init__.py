"""Replaying timelines: scenario files read into steps that a runner maps to service calls."""

from __future__ import annotations

from yaksok.replay.model import (
    ACTIONS,
    Action,
    Actor,
    AnswerAction,
    AskAction,
    CadenceSpec,
    CancelAction,
    ClaimSpec,
    ClarifyAction,
    CrowdAction,
    MilestoneSpec,
    NoteAction,
    NoticeAction,
    NoticeSpec,
    OccurAction,
    PromiseAction,
    Scenario,
    Step,
    Texts,
)
from yaksok.replay.report import ReplayReport, ReplayStep, render
from yaksok.replay.runner import run
from yaksok.replay.scenario import load_scenario, parse_scenario

__all__ = [
    "ACTIONS",
    "Action",
    "Actor",
    "AnswerAction",
    "AskAction",
    "CadenceSpec",
    "CancelAction",
    "ClaimSpec",
    "ClarifyAction",
    "CrowdAction",
    "MilestoneSpec",
    "NoteAction",
    "NoticeAction",
    "NoticeSpec",
    "OccurAction",
    "PromiseAction",
    "ReplayReport",
    "ReplayStep",
    "Scenario",
    "Step",
    "Texts",
    "load_scenario",
    "parse_scenario",
    "render",
    "run",
]
