import pytest

from editorial.parsing.normalise import clean_title, fullwidth_to_ascii


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("工信部下架 26 款 APP", "工信部下架26款APP"),
        ("工信部发布 12 项 AI 标准", "工信部发布12项AI标准"),
        ("多方发力 新一轮建设提速", "多方发力 新一轮建设提速"),
        ("算力租赁走热？云厂商加码 GPU 集群 ", "算力租赁走热？云厂商加码GPU集群"),
        ("AI PC 出货量创新高", "AI PC出货量创新高"),
        ("１—１０ 月软件收入增长 １２．６%", "1—10月软件收入增长12．6%"),
    ],
)
def test_clean_title(raw, expected):
    assert clean_title(raw) == expected


def test_fullwidth_to_ascii_keeps_chinese_punctuation():
    assert fullwidth_to_ascii("ＡＢｃ１２３，。") == "ABc123，。"
