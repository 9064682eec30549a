"""Every part of a question answered, only what the entries cover, one source line."""

from __future__ import annotations

import pytest

from bot.knowledge import KnowledgeBase, load_knowledge_base
from bot.knowledge.answering import choose_entries, compose_reply, split_parts
from bot.knowledge.coverage import TopicVocabulary, topic_vocabulary

SOURCE = "来源：重庆日报《让科技工作者既有获得感又有使命感》"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.fixture(scope="module")
def vocabulary() -> TopicVocabulary:
    return topic_vocabulary()


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("人才住房有多少套？定点医院呢？", ["人才住房有多少套？", "定点医院呢？"]),
        ("原来多少天，现在多少天", ["原来多少天", "现在多少天"]),
        ("包干制的项目落实了多少个，投了好多钱", ["包干制的项目落实了多少个", "投了好多钱"]),
        # one question, however many commas
        ("我是博士，刚来重庆，想问人才住房有多少套", ["我是博士，刚来重庆，想问人才住房有多少套"]),
        ("渝快办上面整合了几项服务，可以怎么办", ["渝快办上面整合了几项服务，可以怎么办"]),
        ("定点医院有几家", ["定点医院有几家"]),
    ],
)
def test_a_message_is_cut_into_the_questions_it_asks(text, parts):
    assert split_parts(text) == parts


@pytest.mark.parametrize(
    ("text", "topic", "facts"),
    [
        ("人才住房有多少套？定点医院呢？", "housing_policy", ["10826", "77 家"]),
        ("原来多少天，现在多少天", "general_service", ["35 天", "14 天"]),
        ("包干制项目有多少个？科创板挂牌企业呢？", "funding", ["438", "683"]),
        # the classifier took the second part's topic: the first is still answered
        ("包干制项目有多少个？科创板挂牌企业呢？", "finance", ["438", "683"]),
        ("定点医院有几家？子女入学服务办了多少人次？", "hospital_policy", ["77 家", "938"]),
    ],
)
def test_every_part_gets_its_fact(kb, vocabulary, text, topic, facts):
    reply = compose_reply(choose_entries(kb, vocabulary, text, topic))
    assert all(fact in reply for fact in facts), reply
    assert reply.count("来源") == 1 and reply.endswith(SOURCE)


def test_one_entry_answering_two_parts_is_said_once(kb, vocabulary):
    entries = choose_entries(kb, vocabulary, "承诺件原来多少天，现在多少天", "general_service")
    assert [e.id for e in entries] == ["processing_time"]


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("蒸汽机是谁发明的", "tech_transfer"),
        ("什么是天文学", "school_policy"),
        ("辛亥革命是哪一年", "general_service"),
        ("中国的国歌叫什么", "general_service"),
        ("世界上最高的山是哪座", "housing_policy"),
        ("今天天气怎么样", None),
    ],
)
def test_what_no_entry_covers_is_not_answered(kb, vocabulary, text, topic):
    """Whatever topic the classifier chose, an off-topic question gets no entry."""
    assert choose_entries(kb, vocabulary, text, topic) == []


@pytest.mark.parametrize(
    ("text", "topic", "entry_id"),
    [
        ("人才公寓要交多少押金", "housing_policy", "housing_terms_unknown"),
        ("咨询A市人才公寓租金标准的问题", "housing_policy", "housing_terms_unknown"),
        ("希望解决女儿读书问题", "school_policy", "children_enrollment_service"),
        ("给年轻人的公租房有好多套", "housing_policy", "talent_housing_overview"),
    ],
)
def test_a_question_the_topic_knows_is_answered(kb, vocabulary, text, topic, entry_id):
    assert [e.id for e in choose_entries(kb, vocabulary, text, topic)][:1] == [entry_id]


def test_the_topic_knows_its_words_but_not_general_knowledge(vocabulary):
    assert vocabulary.knows("科研院所编制紧张", "staffing")
    assert not vocabulary.knows("蒸汽机是谁发明的", "tech_transfer")
    assert vocabulary.coverage("", "staffing") == 0.0


def test_the_reply_says_when_it_was_checked(kb):
    reply = compose_reply([kb.by_id("designated_hospitals")])
    assert reply.endswith(f"（2026年11月27日核对）{SOURCE}")


def test_a_definition_question_needs_the_term_itself(vocabulary):
    """'X 是什么' asks about X: a topic that knows only the word beside it does not answer."""
    assert vocabulary.knows("用编上编是什么", "staffing")
    assert not vocabulary.knows("机器学习是什么意思", "general_service")


def test_a_further_part_may_belong_to_another_topic(kb, vocabulary):
    text = "成果转化细则是几个部门发的？科技管理行政权力事项取消调整了多少项？"
    entries = choose_entries(kb, vocabulary, text, "tech_transfer")
    assert [e.id for e in entries] == ["transfer_rules", "processing_time"]
