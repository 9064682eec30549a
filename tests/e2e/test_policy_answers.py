"""Every fact of the source article, asked the way a user would, comes back stated and cited.

The questions are worded unlike the knowledge base's own question forms
(bot/knowledge/entries), many in dialect, so they pass through the whole
chain: normaliser, the trained classifier, the choice of entry, the reply.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import joined

Say = Callable[[str, str], list[dict[str, Any]]]
SOURCE = "来源：重庆日报《让科技工作者既有获得感又有使命感》"

FACTS = [
    ("为科技工作者办实事这个行动一共列了几条工作清单", ["20 条"]),
    ("这个行动是哪些单位在搞，市级部门有几个", ["41 个市级部门", "科协统筹"]),
    ("给科技人员搞的主题宣讲一共搞了好多场", ["920", "26 万"]),
    ("市委安排了多少位专家联系我们这些搞科研的", ["215 名"]),
    ("科技专员加联络员是个啥子模式", ["科技专员", "联络员"]),
    ("西部科学城的人才服务港线下在哪儿办", ["人才和就业服务专区"]),
    ("金凤凰那个码扫了能干嘛", ["金凤凰人才码"]),
    ("人才管家可以帮我跑哪些手续", ["档案转存"]),
    ("渝快办上面整合了几项服务，可以怎么办", ["68 项", "电话、网站、微信、平台"]),
    ("全市人才住房一共筹集了多少套", ["10826"]),
    ("给年轻人的公租房有好多套", ["6 万套"]),
    ("用公积金支持人才安居有没有出文件", ["重庆市住房公积金支持人才安居实施细则"]),
    ("科技工作者看病的定点医院有几家，晚上能看不", ["77 家", "24 小时"]),
    ("娃儿上学的服务已经办了好多人次了", ["938"]),
    ("高校科研院所的编制绿色通道支持了几个人", ["372"]),
    ("科技方面的行政权力事项取消调整了多少项", ["26 项"]),
    ("承诺件以前要35天，现在好久能办完", ["14 天"]),
    ("促进成果转化的细则是几个部门一起发的，讲了哪几方面", ["6 个部门", "赋权"]),
    ("包干制的项目落实了多少个，投了好多钱", ["438", "3.3 亿"]),
    ("重庆专门成立了哪个搞科技投资的公司", ["重庆科技创新投资集团"]),
    ("股份转让中心科创板上挂了好多家企业", ["683"]),
    ("知识价值信用贷款一共放了多少钱给几家企业", ["7593", "220 亿"]),
    ("这个办实事的行动以后会不会一直搞下去", ["长效机制", "综合改革示范区"]),
]
UNKNOWN = [
    ("人才公寓一个月租金具体是好多", ["没有写"]),
    ("把那77家定点医院的名单发给我看看", ["没有公布"]),
    ("成果转化收益科研人员能分几成", ["没有写"]),
]


@pytest.mark.parametrize(
    ("question", "facts"), FACTS + UNKNOWN, ids=[f"fact-{i}" for i in range(len(FACTS + UNKNOWN))]
)
def test_a_fact_is_stated_with_its_source(say: Say, question: str, facts: list[str]) -> None:
    reply = joined(say(f"e2e-fact-{abs(hash(question)) % 100_000}", question))
    for fact in facts:
        assert fact in reply, f"{question!r} → {reply!r}"
    assert SOURCE in reply


@pytest.mark.parametrize(
    ("question", "pointer"),
    [("明天重庆下不下雨", "天气"), ("推荐一只能涨的股票", "证券"), ("给我讲个笑话嘛", "笑话")],
)
def test_out_of_scope_gets_a_polite_pointer_not_a_policy_answer(
    say: Say, question: str, pointer: str
) -> None:
    reply = joined(say(f"e2e-oos-{abs(hash(question)) % 100_000}", question))
    assert pointer in reply and "科技工作者" in reply
    assert "来源" not in reply


def test_a_housing_answer_offers_to_open_a_request(say: Say) -> None:
    messages = say("e2e-offer", "人才住房一共有多少套")
    buttons = [b["payload"] for m in messages for b in m.get("buttons") or []]
    assert "/request_housing" in buttons
