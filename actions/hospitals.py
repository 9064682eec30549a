"""Green-channel visits at designated hospitals (定点医院就医绿色通道)."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend_client import BackendCallError, get_client
from actions.forms import RequestFormValidation, SlotDict, accept, reject, today_in_china
from bot.common.catalogue import HOSPITAL
from bot.common.parsers import answers

_SUFFIXES = ("医院", "院")
# everyday names of departments -> the names hospitals use
_DEPARTMENT_ALIASES = {
    "心内科": "心血管内科",
    "心脏": "心血管内科",
    "消化科": "消化内科",
    "呼吸科": "呼吸内科",
    "神内": "神经内科",
    "牙科": "口腔科",
    "看牙": "口腔科",
    "外科": "普外科",
    "妇科": "妇产科",
    "产科": "妇产科",
    "小儿科": "儿科",
    "急诊": "急诊科",
    "体检": "体检中心",
    "肿瘤": "肿瘤科",
    "中医": "中医科",
    "耳鼻喉": "耳鼻喉科",
    "内分泌": "内分泌科",
    "皮肤": "皮肤科",
    "眼睛": "眼科",
}


def _names(hospital: dict[str, Any]) -> list[str]:
    return [hospital["name"], *hospital.get("short_names", [])]


def match_hospital(text: str, hospitals: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Find the hospital named in the text (full name, short name or a clear part)."""
    text = text.strip()
    if not text:
        return None
    best: tuple[int, dict[str, Any]] | None = None
    for hospital in hospitals:
        for name in _names(hospital):
            if name and name in text and (best is None or len(name) > best[0]):
                best = (len(name), hospital)
    if best:
        return best[1]
    core = text
    for suffix in _SUFFIXES:
        core = core.removesuffix(suffix)
    if len(core) < 2:
        return None
    candidates = [h for h in hospitals if any(core in name for name in _names(h))]
    return candidates[0] if len(candidates) == 1 else None


def match_department(text: str, departments: list[str]) -> str | None:
    """Find the department named in the text (心内科 matches 心血管内科)."""
    text = text.strip()
    for alias, name in _DEPARTMENT_ALIASES.items():
        if alias in text and name in departments:
            return name
    exact = [d for d in departments if d in text]
    if exact:
        return max(exact, key=len)
    core = text.removesuffix("科")
    if len(core) < 1:
        return None
    loose = [d for d in departments if core and (core in d or all(ch in d for ch in core))]
    return loose[0] if len(loose) == 1 else None


async def hospital_by_name(name: str) -> dict[str, Any] | None:
    """Return the hospital record for a canonical name."""
    hospitals = await asyncio.to_thread(get_client().list_hospitals)
    return next((h for h in hospitals if h["name"] == name), None)


class ValidateHospitalForm(RequestFormValidation):
    """Validate the hospital form: the hospital and department against the backend's list."""

    kind = HOSPITAL

    async def validate_hospital(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotDict:
        """Accept a designated hospital from the backend's list."""
        try:
            hospitals = await asyncio.to_thread(get_client().list_hospitals)
        except BackendCallError:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return {"hospital": None}
        hospital = match_hospital(str(value), hospitals)
        if hospital is None:
            names = "、".join(h["name"] for h in hospitals[:6])
            return reject(
                "hospital",
                f"没有找到这家定点医院。可以预约的有：{names}等，请说医院名称。",
                dispatcher,
                tracker,
            )
        values: SlotDict = {"hospital": hospital["name"]}
        department = tracker.get_slot("department")
        if department and department not in hospital.get("departments", []):
            values["department"] = None
        return accept(values)

    async def validate_department(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotDict:
        """Accept a department the chosen hospital has."""
        name = tracker.get_slot("hospital")
        try:
            hospital = await hospital_by_name(name) if name else None
        except BackendCallError:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return {"department": None}
        if hospital is None:
            # the hospital is asked first; keep the department for its check then
            return {"department": str(value)}
        department = match_department(str(value), hospital.get("departments", []))
        if department is None:
            listed = "、".join(hospital.get("departments", []))
            return reject(
                "department",
                f"{hospital['name']}可预约的科室有：{listed}。请选择其中一个。",
                dispatcher,
                tracker,
            )
        return accept({"department": department})

    def validate_visit_date(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotDict:
        """Accept a date within 60 days; a half-day said with it is kept too."""
        result = answers.parse_visit_date(str(value), today_in_china())
        if result.error or result.value is None:
            said = answers.parse_half_day(str(value))
            if tracker.get_slot("requested_slot") == "half_day" and said.value:
                # "上午" answers the half-day question; NLU read it as a date too
                earlier = previous_slot_value(tracker, "visit_date")
                return accept({"visit_date": earlier, "half_day": said.value})
            return reject("visit_date", result.error or "没能识别日期。", dispatcher, tracker)
        visit_date, half_day = result.value
        values: SlotDict = {"visit_date": visit_date.isoformat()}
        if half_day:
            values["half_day"] = half_day
        return accept(values)


class ActionAskHospital(Action):
    """Ask for the hospital, offering the designated ones as buttons."""

    def name(self) -> str:
        """Return the action name."""
        return "action_ask_hospital"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Show a few designated hospitals to pick from."""
        try:
            hospitals = await asyncio.to_thread(get_client().list_hospitals)
        except BackendCallError:
            dispatcher.utter_message(text="想去哪家定点医院就诊？请说医院名称。")
            return []
        sample = (
            " （以下为示例名单，以卫生健康部门公布的 77 家定点医院为准）"
            if any(h.get("is_sample") for h in hospitals)
            else ""
        )
        dispatcher.utter_message(
            text=f"想去哪家定点医院就诊？可以直接说医院名称，或点选下面的医院。{sample}",
            buttons=[{"title": h["name"], "payload": h["name"]} for h in hospitals[:8]],
        )
        return []


class ActionAskDepartment(Action):
    """Ask for the department, offering the chosen hospital's ones."""

    def name(self) -> str:
        """Return the action name."""
        return "action_ask_department"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Show the departments of the chosen hospital."""
        name = tracker.get_slot("hospital")
        try:
            hospital = await hospital_by_name(name) if name else None
        except BackendCallError:
            hospital = None
        if hospital is None:
            dispatcher.utter_message(text="想看哪个科室？")
            return []
        dispatcher.utter_message(
            text=f"{hospital['name']}想看哪个科室？",
            buttons=[{"title": d, "payload": d} for d in hospital.get("departments", [])[:12]],
        )
        return []


def previous_slot_value(tracker: Tracker, slot: str) -> Any:
    """Return the value a slot had before this turn's extraction set it."""
    values = [
        e.get("value") for e in tracker.events if e.get("event") == "slot" and e.get("name") == slot
    ]
    return values[-2] if len(values) >= 2 else None
