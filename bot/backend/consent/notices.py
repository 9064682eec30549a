"""The personal-data notices, one versioned text per request kind.

A published version's text never changes: to change a notice, add a new
version with a later ``published_at`` and run ``init-db`` again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

_CST = timezone(timedelta(hours=8))

_COMMON_RIGHTS = (
    "您有权查阅、复制、更正、补充您的个人信息，也可以撤回同意或要求删除；"
    "撤回同意不影响撤回前已进行的处理。"
    "如有疑问，可在对话中回复“转人工”联系工作人员。"
)


@dataclass(frozen=True)
class NoticeText:
    """One published version of a personal-data notice."""

    kind: str
    version: str
    published_at: datetime
    text: str
    #: how long after a request is closed its personal data is kept (what the text promises)
    retention_days: int = 3 * 365


NOTICES: tuple[NoticeText, ...] = (
    NoticeText(
        kind="housing",
        version="2026-11-27.housing.v1",
        published_at=datetime(2026, 11, 27, tzinfo=_CST),
        text=(
            "【人才住房申请个人信息告知书】为办理人才公寓、青年人才公租房申请，"
            "我们将收集您的姓名、手机号码、居民身份证号码、意向区县、家庭人数和"
            "期望入住月份。上述信息仅用于核验申请资格、联系您办理手续，并提供给"
            "负责受理的住房保障部门，不会用于其他目的。身份证号码属于敏感个人信息，"
            "我们以最小必要为原则处理。申请办结后信息保存不超过三年，期满删除。" + _COMMON_RIGHTS
        ),
    ),
    NoticeText(
        kind="schooling",
        version="2026-11-27.schooling.v1",
        published_at=datetime(2026, 11, 27, tzinfo=_CST),
        text=(
            "【子女入学申请个人信息告知书】为办理人才子女入学服务申请，我们将收集"
            "您的姓名、手机号码，以及子女的姓名、拟入学阶段与年级、现就读学校和"
            "意向区县。子女信息属于不满十四周岁未成年人的个人信息，须由监护人同意"
            "后提交。上述信息仅用于联系您并提供给负责受理的教育主管部门，不会用于"
            "其他目的。申请办结后信息保存不超过三年，期满删除。" + _COMMON_RIGHTS
        ),
    ),
    NoticeText(
        kind="hospital",
        retention_days=365,
        version="2026-11-27.hospital.v1",
        published_at=datetime(2026, 11, 27, tzinfo=_CST),
        text=(
            "【就医绿色通道预约个人信息告知书】为办理就医绿色通道预约，我们将收集"
            "您的姓名、手机号码、居民身份证号码、就诊医院、科室、日期和就诊事由。"
            "就诊事由可能涉及健康信息，属于敏感个人信息，请只填写预约所需的内容。"
            "上述信息仅用于向您选择的医院预约并联系您，不会用于其他目的。"
            "就诊日期过后信息保存不超过一年，期满删除。" + _COMMON_RIGHTS
        ),
    ),
    NoticeText(
        kind="settlement",
        version="2026-11-29.settlement.v1",
        published_at=datetime(2026, 11, 29, tzinfo=_CST),
        text=(
            "【人才落户与档案服务个人信息告知书】为办理人才落户、档案转存，我们将收集"
            "您的姓名、手机号码、居民身份证号码、需要办理的事项、现户籍所在地、"
            "拟落户区县和随迁家属人数。上述信息仅用于核验办理条件、联系您办理手续，"
            "并提供给负责受理的公安户籍部门和人力资源社会保障部门（档案管理机构），"
            "不会用于其他目的。身份证号码属于敏感个人信息，我们以最小必要为原则处理。"
            "申请办结后信息保存不超过三年，期满删除。" + _COMMON_RIGHTS
        ),
    ),
    NoticeText(
        kind="callback",
        retention_days=183,
        version="2026-11-27.callback.v1",
        published_at=datetime(2026, 11, 27, tzinfo=_CST),
        text=(
            "【人工回电登记个人信息告知书】为在人工服务时间内给您回电，我们将收集"
            "您的称呼、手机号码、希望回电的时间和需要咨询的事项。上述信息仅用于"
            "热线工作人员联系您，不会用于其他目的。回电完成后信息保存不超过六个月，"
            "期满删除。" + _COMMON_RIGHTS
        ),
    ),
)


#: The longest period any notice promises: what applies to a version not listed here.
LONGEST_RETENTION_DAYS = max(notice.retention_days for notice in NOTICES)


def retention_days(version: str) -> int:
    """Return how many days after closing a request agreed under ``version`` is kept."""
    return next(
        (notice.retention_days for notice in NOTICES if notice.version == version),
        LONGEST_RETENTION_DAYS,
    )
