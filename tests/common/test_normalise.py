"""Dialect, traditional characters, typos and width become the words the model knows."""

from __future__ import annotations

import pytest

from bot.common.normalise import normalise, normalise_with_offsets


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("娃儿读书啷个办", "孩子读书怎么办"),
        ("我老汉儿看病咋个预约", "我父亲看病怎么预约"),
        ("公租房是啥子", "公租房是什么"),
        ("請問人才公寓怎麼申請", "请问人才公寓怎么申请"),
        ("公基金对人才有啥支持", "公积金对人才有什么支持"),
        ("渝快半能办啥", "渝快办能办什么"),
        ("人才公寓一个月好多钱", "人才公寓一个月多少钱"),
        ("有多少专家联系我们这些搞科研的", "有多少专家联系我们这些科技工作者"),
        ("ＨＳ２０２６１１２７－０００１", "HS20261127-0001"),
        ("要得！", "好的"),
        ("得行", "可以"),
        # inside a sentence these are ordinary words, left alone
        ("我需要得到什么材料", "我需要得到什么材料"),
        ("记得行程", "记得行程"),
        ("", ""),
    ],
)
def test_normalise(text, expected):
    assert normalise(text) == expected


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("我老汉儿住渝北，啥时候办", "渝北"),
        ("咋整，手机13800138000", "13800138000"),
        ("渝中", "渝中"),
    ],
)
def test_offsets_follow_the_words(text, word):
    new_text, offsets = normalise_with_offsets(text)
    start = text.index(word)
    assert new_text[offsets[start] : offsets[start + len(word)]] == word
    assert len(offsets) == len(text) + 1 and offsets[-1] == len(new_text)
