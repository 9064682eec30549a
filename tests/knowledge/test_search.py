"""The search finds the entry a question is about, and knows when it does not know."""

from __future__ import annotations

import pytest

from bot.knowledge import load_knowledge_base


@pytest.fixture(scope="module")
def kb():
    return load_knowledge_base()


def test_each_question_form_finds_its_own_entry(kb):
    for entry in kb.entries:
        for question in entry.questions:
            [hit] = kb.search(question, limit=1, topic=entry.topic)
            assert hit.entry.id == entry.id, question


@pytest.mark.parametrize(
    ("question", "entry_id"),
    [
        ("青年人才公租房一共多少套", "talent_housing_overview"),
        ("人才公寓一个月好多钱", "housing_terms_unknown"),
        ("買房能不能用公積金", "housing_provident_fund"),
        ("重庆有几家医院可以24小时看病", "designated_hospitals"),
        ("档案咋个转", "file_transfer"),
        ("科研经费包干是啥子意思", "lump_sum_projects"),
        ("成果转化收益比例", "income_sharing_unknown"),
        ("科技型企业贷款", "knowledge_value_loan"),
        ("区域股权市场科创板挂牌了多少家企业", "sci_tech_board"),
        ("高校编制不够用咋办", "staffing_green_channel"),
        ("承诺件现在多少天办完", "processing_time"),
        ("联系科技工作者的专家有好多", "liaison_experts"),
        ("主题宣讲覆盖了多少人", "political_guidance"),
    ],
)
def test_long_tail_questions_are_answered_with_confidence(kb, question, entry_id):
    hit = kb.search(question, limit=1)[0]
    assert (hit.entry.id, hit.confident) == (entry_id, True)


@pytest.mark.parametrize("question", ["今天天气怎么样", "讲个笑话", "推荐一只股票", "哪家火锅好吃"])
def test_questions_outside_the_knowledge_are_not_answered(kb, question):
    assert not any(hit.confident for hit in kb.search(question))


def test_best_in_topic_falls_back_to_the_overview(kb):
    assert kb.best_in_topic("housing_policy", "嗯嗯").id == "talent_housing_overview"
