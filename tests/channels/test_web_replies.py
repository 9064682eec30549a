"""Bot text as rasa-webchat shows it: literal, line by line, in phone-sized bubbles."""

from __future__ import annotations

from bot.channels.web_replies import (
    POLICY_TOPICS_PAYLOAD,
    WELCOME_PAYLOAD,
    channel_reply,
    escape_markdown,
    format_reply,
    split_bubbles,
    to_markdown,
)

READ_BACK = (
    "请核对以下信息：\n申请人：王**\n手机号：138****0000\n"
    "身份证号：1101**********002X\n无误请回复“确认提交”。"
)


def test_masks_and_markdown_syntax_stay_literal() -> None:
    assert escape_markdown("王** 138****0000") == r"王\*\* 138\*\*\*\*0000"
    assert escape_markdown("1. [a](b) #x _y_ `z` -w") == r"1\. \[a\]\(b\) \#x \_y\_ \`z\` \-w"
    # the widget renders raw HTML as text itself; a link can only come from to_markdown
    assert escape_markdown("<img src=x onerror=alert(1)>") == r"<img src=x onerror=alert\(1\)\>"
    assert to_markdown("[点我](javascript:alert(1))") == r"\[点我\]\(javascript:alert\(1\)\)"


def test_bare_links_become_links_and_keep_their_punctuation_outside() -> None:
    text = "详见 https://zwfw.cq.gov.cn/a_b?x=1。谢谢"
    assert to_markdown(text) == (
        r"详见 [https://zwfw\.cq\.gov\.cn/a\_b?x=1](https://zwfw.cq.gov.cn/a_b?x=1)。谢谢"
    )
    assert to_markdown("见 http://a.cn.") == r"见 [http://a\.cn](http://a.cn)\."


def test_a_read_back_stays_one_bubble_with_its_line_breaks() -> None:
    [bubble] = format_reply(READ_BACK)
    assert bubble.count("  \n") == 4 and r"138\*\*\*\*0000" in bubble


def test_long_prose_is_cut_at_sentence_ends() -> None:
    sentence = "重庆为科技工作者提供专门服务，" * 4 + "具体以区县规定为准。"
    text = sentence * 4 + "\n来源：重庆日报"
    bubbles = split_bubbles(text, limit=180)
    assert len(bubbles) >= 2 and all(sum(map(len, b)) <= 180 for b in bubbles)
    assert all(b[-1].endswith(("。", "重庆日报")) for b in bubbles)
    assert "".join("".join(b) for b in bubbles) == text.replace("\n", "")


def test_blank_lines_separate_bubbles_and_a_short_answer_is_one() -> None:
    assert split_bubbles("第一段。\n\n第二段。") == [["第一段。"], ["第二段。"]]
    assert format_reply("您好！") == ["您好！"]
    assert format_reply("") == [""]


def test_an_endless_sentence_is_cut_hard() -> None:
    bubbles = split_bubbles("长" * 400, limit=180)
    assert [sum(map(len, b)) for b in bubbles] == [180, 180, 40]


def test_the_welcome_offers_the_main_services_and_the_privacy_note() -> None:
    messages = channel_reply(WELCOME_PAYLOAD, base_url="http://127.0.0.1:5005")
    assert messages is not None
    titles = [q["title"] for q in messages[-1]["quick_replies"]]  # type: ignore[index, union-attr]
    assert titles == ["人才住房", "子女入学", "就医绿色通道", "政策咨询", "查询申请"]
    assert "[个人信息说明](http://127.0.0.1:5005/chat/privacy)" in str(messages[-1]["text"])
    topics = channel_reply(POLICY_TOPICS_PAYLOAD, base_url="")
    assert topics and all(q["payload"].startswith("/ask_") for q in topics[-1]["quick_replies"])  # type: ignore[union-attr]
    assert channel_reply("你好", base_url="") is None
