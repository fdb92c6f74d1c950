"""The words around a number that say what it measures: change verbs, comparison
bases, shares, words to trim from a name and names that are not indicators."""

from __future__ import annotations

import re

CLAUSE_SEP = re.compile(r"[，,：:]")
LIST_JOINER = re.compile(r"^(?:和|与|及|以及|、|或)$")
POSITIVE = "增长|增加|上升|提高|提升|上涨|扩大|加快|回升|攀升|净增|新增|增|涨"
NEGATIVE = "下降|减少|回落|下滑|降低|下跌|放缓|收窄|缩小|缩短|萎缩|净减|降|减|跌"
CHANGE_VERB = re.compile(rf"(?P<verb>{POSITIVE}|{NEGATIVE})了?$")
RATE_NOUN = re.compile(
    r"(?P<noun>增速|增幅|增长率|增长速度|降幅)(?:将|预计|有望|仍将|仍|继续|可能|或将)*"
    r"(?:为|达到|达|是|保持在|维持在|在)?$"
)
BASE_MARKER = re.compile(r"同比|环比|相比|(?<![占对])比(?![重例率])|较(?![快大高低好为多少早晚])")
YOY_BASE = re.compile(r"^$|同比|上年|去年|同期|上一年")
AVERAGE = re.compile(r"年均|年平均|平均每年")
TO_LEVEL = re.compile(rf"(?:{POSITIVE}|{NEGATIVE})?(?:至|到)$")  # 增长至 2亿户: a level
RATE_TO_LEVEL = re.compile(
    rf"(?P<noun>增速|增幅|增长率|增长速度|降幅)(?:(?:较|比)[^，,]{{0,8}}?)?(?:{POSITIVE}|{NEGATIVE})?"
    r"了?(?:至|到)$"
)
# A difference from another quantity (高于全国平均水平, 相当于…的两倍, 比同期工业高) is not a
# figure; after a time base (比上年多, 较上月高) it is a change like any other.
GAP_WORDS = re.compile(r"高于|低于|多于|少于|快于|慢于|好于|差于|优于|相当于")
GAP_END = re.compile(r"(?<![提降减增最不更至拉])(高|低|多|少)出?了?$")
TIME_WORDS = re.compile(
    r"上一?年|去年|上个?月|上一?季度|上期|上一期|同期|年初|年末|年底|月末|月底|此前|以前|之前|末|底|初"
    r"|的|水平|和|与|及|、"
)

BASE_YEAR = re.compile(r"((?:19|20)\d{2})年(?!同期)")
SHARE_ADVERBS = r"(?:约|已|均|仅|只|则|也|还|仍|共|合计|大约|分别|预计|将|有望|可能|或)*"
SHARE_MARKER = re.compile(rf"^{SHARE_ADVERBS}占(?!比)|^在.+中的?占")

LEADING_WORDS = re.compile(
    r"^(?:其中|此外|另外|同时|而且|并且|但是|但|而|并|且|全国|我国|全行业|当月|本月|当季|同期"
    r"|累计|共计|合计|总计|完成|实现|达到|已经|已|预计|将|均|截至|截止到|截止|以来|另有|共有|共"
    r"|单月|力争|到|至|未来|目前|当前|如今|现在|今后|届时|此前|近年来|近年|眼下|当下)"
)
# Prepositions and conjunctions in front of a name: 与华为相比, 在全球市场, 从区域看.
# 在用数据中心, 从业人员, 同城快递, 对外投资 and 由于 are words of their own.
LEADING_FUNCTION_WORDS = re.compile(
    r"^(?:对于|关于|根据|按照|随着|通过|经过|与|和|同(?![城步业期类])|跟|对(?![外象])"
    r"|在(?![用建营网线售役职校]|.+中的?占)"
    r"|从(?!业)|向|把|被|由(?!于))"
)
TRAILING_WORDS = re.compile(
    r"(?:完成|实现|达到|达|(?<![华作行认成因])为|是|约为|约|超过|超出|超|突破|逾|近|接近|将近"
    r"|不到|不足|高达|多达|共计|合计|总计|累计|共|已经|已|将|均为|均达到|均达|均超过|分别|同比"
    r"|环比|的|保持在|仅|只有|拥有|有|仍然|仍|还|预计|有望|在|首次|再次|进一步|一度|更是|甚至"
    r"|普遍|也|又|一举|要|却|则(?<![规原法准]则))$"
)
EVERY = re.compile(r"每(?:年|月|天|日)的?")  # 国内数据中心每年的耗电量 → 国内数据中心耗电量
DROPPED_VERB = re.compile(r"(?:完成|实现|录得|建成|拥有|共发展|开展)")
KEPT_VERB = re.compile(r"(?:净增|新增|新建|新开通)")
GENERIC_SUBJECTS = {"", "增速", "增幅", "增长率", "增长速度", "降幅", "其", "同比", "环比"}
GENERIC_HEADS = {"总数", "总量", "总规模", "规模", "总额", "占比", "比重", "数量"}
SHARE_WORDS = {"占比", "比重"}  # 占比较上年末提高1.7个百分点: a change of the share before
# Heads that several listed names share: 云计算和数据中心业务收入 → 云计算业务收入.
SHARED_HEADS = [
    "业务收入",
    "收入",
    "用户",
    "出货量",
    "产量",
    "销量",
    "流量",
    "利润",
    "投资",
    "增加值",
    "出口额",
    "进口额",
    "营收",
]
NAME_SPLIT = re.compile(r"以及|和|与|、|(?<!普)及")
# Names that are function words, time words or bare generic nouns, not a measured thing.
_NOT_NAMES = {
    "数据",
    "数字",
    "数值",
    "指标",
    "水平",
    "其中",
    "同比",
    "环比",
    "达到",
    "占比",
    "比重",
    "比例",
    "份额",
    "增速",
    "增幅",
    "增长",
    "数量",
    "规模",
    "总数",
    "总量",
    "总额",
    "合计",
    "累计",
    "共计",
    "未来",
    "目前",
    "当前",
    "如今",
    "今后",
    "同期",
    "全年",
    "年均",
    "平均",
    "其",
    "此",
    "这",
    "该",
    "目标",
    "任务",
    "计划",
}
# 这一比例, 该数字: a word pointing back at something named elsewhere.
_ANAPHORA = re.compile(
    r"^(?:这一|这个|这些|这|该|此|其|上述|前者|后者)(?:数字|数据|比例|比重|占比|数值|指标|规模"
    r"|水平|增速|增幅|份额|数量|总数)?$"
)
# 有的企业, 部分运营商, 不少厂商: not a measured population.
_INDEFINITE = re.compile(r"^(?:有的|有些|有人|一些|部分|不少|很多|许多|多数|大多数|少数|个别|某些)")
SHARE_NOUN = re.compile(r"占|比重|比例|份额|率")
# 从去年的不足10%上升到了今年的23%: the first number is where a change starts.
FROM_VALUE = re.compile(r"从(?![业事])[^从，,至到]{0,12}$")
TO_AFTER_FROM = re.compile(r"[^，,的]{0,4}?(?:至|到)了?(?:目前|如今|现在)?的?")
FROM_TO = re.compile(
    r"从(?![业事])[^从，,]{0,16}?(?:至|到)了?(?:目前|如今|现在)?的?$"
)  # 从十几家发展到
# 以21.9%的份额位居第一: the measure named after the number.
MEASURE_NOUN_AFTER = re.compile(r"的((?:市场)?份额|比重|占比)")
# 实现8%左右的增长: a growth rate written before its noun.
GROWTH_AFTER = re.compile(r"的(?:(?P<up>增长|增幅|涨幅)|(?P<down>下降|下滑|降幅|跌幅))")
COMPARED_WITH = re.compile(r"(?:与|同|和|跟)(?P<thing>[^，,。；;]{1,20}?)(?:相比|相较)")
MULTIPLE_OF = re.compile(r"(?:是|为|相当于)(.*?)的?(?:大约|约)?$")
LEVEL_LINK = re.compile(r"达到|达|为|升至|增至|突破|超过|超")
# A share of a population rather than of a measured quantity (see SentenceReader._loose).
RESPONDENTS = re.compile(r"受访|被访|被调查|受调查|问卷|调查对象|接受调查|参与调查|被调研")
SHARE_OF_SOME = re.compile(r"(?<!拥)有$")  # 有63%的…, 有近七成…
MEASURE_AFTER = re.compile(
    r"的(?:市场)?(?:份额|比重|比例|占比|增速|增幅|增长|涨幅|降幅|渗透率|普及率|覆盖率)"
)
POPULATION_AFTER = re.compile(
    r"的?(?:中小)?(?:企业|公司|厂商|用户|网民|受访|被访|消费者|家庭|城市|人|员工|运营商|项目|机构"
    r"|单位|居民)"
)
_THIS_IS = re.compile(r"^(?:这|那)(?:已经|已|也|就|又|还|便|正|无疑)?(?:是|意味着)")
_CLAUSE_WORDS = re.compile(r"表示|认为|指出|显示|透露|获悉|估计|看来|坦言|据悉|称|预期|把")


def is_name(name: str) -> bool:
    """Whether ``name`` can stand as an indicator: a noun phrase naming a measured thing."""
    if len(name) < 2 or name in _NOT_NAMES or _ANAPHORA.match(name):
        return False
    if name.endswith("中"):
        return False  # 转出用户中超6成…: a share of a population
    if _THIS_IS.match(name):
        return False  # 这已经是该公司连续第三年…: a remark about a figure, not its name
    return not (_INDEFINITE.match(name) or _CLAUSE_WORDS.search(name))
