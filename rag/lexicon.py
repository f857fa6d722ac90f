"""The policy vocabulary in one place: numerals, heading numbering, plan periods, zone kinds,
the cue words of questions and passages, and the sentences the product itself says.

Everything here is data about how Chinese policy documents (and the staff who ask about
them) write. Code elsewhere reads it; no other module spells a cue word, a numeral table
or a refusal sentence of its own, so a change of vocabulary is a change of this file.
"""

from __future__ import annotations

import re

# --- Numerals -------------------------------------------------------------------------

CN_DIGITS = "〇一二三四五六七八九"
# Characters Chinese numbering uses (第十四章, 二〇三五年, 两项).
CN_NUMERALS = "零〇○一二三四五六七八九十百千两"
_DIGIT_VALUE = {c: i for i, c in enumerate(CN_DIGITS)} | {"○": 0, "零": 0, "0": 0, "两": 2}


def digit_value(char: str) -> int:
    """The value of one Chinese digit (〇…九, ○, 零, 两) or an ASCII 0."""
    return _DIGIT_VALUE[char]


def cn_number(text: str) -> int | None:
    """一 … 九十九 (and 两) as an int; None for anything else."""
    if not text or any(c not in _DIGIT_VALUE and c != "十" for c in text):
        return None
    if "十" not in text:
        return _DIGIT_VALUE[text] if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1:
        return None
    return (_DIGIT_VALUE[tens] if tens else 1) * 10 + (_DIGIT_VALUE[ones] if ones else 0)


def spell_number(n: int) -> str:
    """1 … 99 in Chinese numerals, as plan names use them (14 → 十四)."""
    if not 0 < n < 100:
        raise ValueError(f"spell_number: {n} is outside 1..99")
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else CN_DIGITS[tens] + "十")
    return head + (CN_DIGITS[ones] if ones else "")


# --- Plan periods ---------------------------------------------------------------------
# Five-year plans have run back to back since the 6th (1981-1985), so a plan's number,
# its years and its short name (十四五) are derived from one anchor, never listed.

FIRST_PLAN, FIRST_PLAN_START, PLAN_YEARS = 6, 1981, 5
# 十四五 / 十五五 (short: the 11th to 19th plans) and 第十四个五年 (long) forms of a plan's
# name. The bare 十五 of the 10th plan is left out: 十五分钟, 第十五条 say something else.
PLAN_SHORT = re.compile(r"十([一二三四五六七八九])五")
PLAN_LONG = re.compile(r"第(十[一二三四五六七八九]?|[六七八九])个五年")


def plan_years(plan: int) -> tuple[int, int]:
    """First and last year of the numbered five-year plan (14 → 2021, 2025)."""
    start = FIRST_PLAN_START + PLAN_YEARS * (plan - FIRST_PLAN)
    return start, start + PLAN_YEARS - 1


def plan_of_year(year: int) -> int | None:
    """The five-year plan a year falls in (2027 → 15), None before the first."""
    if year < FIRST_PLAN_START:
        return None
    return FIRST_PLAN + (year - FIRST_PLAN_START) // PLAN_YEARS


def plan_name(plan: int) -> str:
    """The short name of a plan (14 → 十四五)."""
    return spell_number(plan) + "五"


def plans_named(text: str) -> list[int]:
    """Numbers of the plans `text` names, short (十四五) or long (第十四个五年) form."""
    found: list[int | None] = [10 + digit_value(m.group(1)) for m in PLAN_SHORT.finditer(text)]
    found += [cn_number(m.group(1)) for m in PLAN_LONG.finditer(text)]
    return [n for n in found if n is not None and n >= FIRST_PLAN]


def period_of_plan(plan: int) -> str:
    """A plan as the period string documents carry (14 → "2021-2025")."""
    start, end = plan_years(plan)
    return f"{start}-{end}"


def period_name(period: str) -> str:
    """The short name of a five-year plan period (2021-2025 → 十四五), "" for other ranges."""
    m = re.fullmatch(r"(\d{4})-(\d{4})", period)
    if not m:
        return ""
    start, end = int(m.group(1)), int(m.group(2))
    plan = plan_of_year(start)
    if plan is None or plan_years(plan) != (start, end):
        return ""
    return plan_name(plan)


# --- Zones and places -----------------------------------------------------------------
# Kinds of development zone, each with the long forms a text or a question may use.
ZONE_KINDS: dict[str, tuple[str, ...]] = {
    "高新区": ("高新技术产业开发区", "国家高新技术产业开发区", "国家高新区", "市高新区"),
    "经开区": ("经济技术开发区", "国家级经济技术开发区", "经济开发区", "市经开区"),
    "综保区": ("综合保税区", "市综合保税区"),
    "开发区": ("市开发区",),
    "自贸区": ("自贸片区", "自由贸易试验区"),
}
# A zone mention in running text: the kind, optionally after 市 / 国家(级).
ZONE_MENTION = re.compile(
    r"市?(?:国家级?)?(高新技术产业开发区|经济技术开发区|综合保税区|高新区|经开区|开发区"
    r"|自贸区|综保区)"
)
ZONE_SHORT = {"高新技术产业开发区": "高新区", "经济技术开发区": "经开区", "综合保税区": "综保区"}
# Characters that never belong to a place name (function words, 省/市/区 …).
NOT_IN_PLACE_NAMES = frozenset(
    "的在和与及或为是对把将以从向到于由等了全各本我该此其这那个每省市区县共"
)

# --- Questions ------------------------------------------------------------------------
# What kind of answer a question wants, read from its wording. Each cue is a regular
# expression over the question; the first kind whose cue matches in WANTS_ORDER wins.

# "How much / how many / when": the answer is a figure, a rank or a date. 哪几(个) asks
# which ones, not how many.
NUMBER_CUES = (
    r"多少|(?<!哪)几[个家项名座所条年位张次亿万]?|多大|多高|多长|多快|比例|比重|占比|第几|排名|名次"
    r"|何时|什么时候|哪一年|哪年|几月|达到多|规模多"
)
# "Which ones": a list, even when each item's figure is asked too (哪些 … 各自多少).
LIST_CUES = r"哪些|哪几|包括|包含|有啥|分别|几大|[一二三四五六七八九十两]+[个大项类条种方面]"
# "What is the target": targets, not a list of anything.
TARGET_CUES = r"目标|力争|到20[2-9]\d年|到“?十[一二三四五六七八九]五”?末|打算|计划|预期"
# Asking for each item's own details (各自/分别).
PER_ITEM_CUES = r"各自|分别|各[个项]|每[个项]"
# How many items the question says there are: 四大主导产业, 哪六个, 三项措施.
COUNT_CUE = r"([两二三四五六七八九十])(?:个|大|项|类|种|条|方面)"
# A year the question pins: 2019年, 2025年末, 二〇三五年.
YEAR_CUE = r"((?:19|20)\d{2}|[一二][〇○零0一二三四五六七八九]{3})(?=年)"


def year_number(text: str) -> str:
    """A year as four ASCII digits, from 2035 or 二〇三五 / 二0三五 / 二○三五."""
    return "".join(c if c.isdigit() and c.isascii() else str(digit_value(c)) for c in text)


def year_forms(year: str) -> tuple[str, ...]:
    """The ways a text may write a year: 2035, 二〇三五, 二0三五, 二○三五."""
    spelled = "".join(CN_DIGITS[int(c)] for c in year)
    return (year, spelled, spelled.replace("〇", "0"), spelled.replace("〇", "○"))


# Abbreviations staff use for terms the documents spell out: the question is searched
# and matched with the full forms too.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "高企": ("高新技术企业",),
    "科小": ("科技型中小企业",),
    "规上": ("规模以上",),
    "四上": ("四上企业",),
    "社零": ("社会消费品零售总额",),
    "固投": ("固定资产投资",),
    "GDP": ("地区生产总值",),
    "R&D": ("研究与试验发展", "研发经费"),
    "研发占比": ("研发经费", "研究与试验发展经费", "占地区生产总值比重"),
    "研发强度": ("研发经费投入强度", "研究与试验发展经费"),
    "研发投入": ("研发经费投入", "研究与试验发展经费"),
    "双碳": ("碳达峰", "碳中和"),
    "双创": ("大众创业", "万众创新", "创新创业"),
    "新基建": ("新型基础设施",),
    "自贸区": ("自由贸易试验区", "自贸片区"),
    "放管服": ("简政放权", "放管结合", "优化服务"),
    "外资": ("外商投资", "利用外资"),
    "上市公司": ("上市企业",),
    "敲钟": ("上市",),
    "独角兽": ("独角兽企业",),
    "瞪羚": ("瞪羚企业",),
    "孵化器": ("科技企业孵化器",),
}
# Words that shape a question but never appear in the passage that answers it: removed
# (as substrings, longest first) before the question's key bigrams are taken.
_FILLER_WORDS_TEXT = (
    "是多少 多少 是什么 什么 哪些 哪几个 哪几 哪个 怎么样 怎么 如何 有何 有没有 "
    "是否 能不能 可以 请问 具体 分别 方面 提出 有关 关于 主要 准备 打算 计划 "
    "要求 的 了 吗 呢 吧 是 有 在 对 和 与 及 或 指 把 让 将 被 给 各自"
)
FILLER_WORDS = tuple(_FILLER_WORDS_TEXT.split())
FILLER_MARKS = "?？!！,，。、:：;；“”\"'‘’《》()（）"
# The same idea for BM25 terms (after the tokenizer's own stopwords): as search terms they
# would only reward passages that echo the question's wording.
_QUESTION_TERMS_TEXT = (
    "哪几 几个 哪几个 是什么 有 要 提出 指 哪 到 让 末 多 做到 安排 准备 打算 "
    "分别 期间 时候 怎么样 具体 方面 有何 能 能不能 可以 是否 各自 情况 何时 几 "
    "一下 呢 啥"
)
QUESTION_TERMS = frozenset(_QUESTION_TERMS_TEXT.split())
# "X是什么 / 有什么 / 指什么" asks for the content of X: answered like a list.
WHAT_IS_CUES = r"有什么|是什么|指什么"
# Plan-period mentions that only say which plan: “十四五”规划, 十四五期间, 十四五时期.
PERIOD_SUFFIX = r"(?:规划|纲要|时期|期间)?"
# A document number in running text: 新开〔2021〕91号.
DOC_NUMBER_IN_TEXT = r"[\u4e00-\u9fff]{1,6}[〔\[［(（]\d{4}[〕\]］)）]\d+号"
# A zone the question leads with (东莞松山湖高新区…), where staff put the place they mean.
LEADING_ZONE = r"^(?:请问)?(?:在)?([\u4e00-\u9fff]{2,8}?)(高新区|开发区|自贸区|新区)"

# A follow-up message leans on the previous question: 那襄阳呢? 其中加氢站有多少? 那2019年呢?
FOLLOWUP_LEAD = r"^\s*(?:那么|那|还有|另外|其中|它们?的?|这个|这些|该|再问一下|再问|再)"
FOLLOWUP_TAIL = r"(?:呢|怎么样|情况如何|如何|呀|啊|吗)?[?？。!！\s]*$"

# --- Time scopes ----------------------------------------------------------------------
# A ranking signal: a target question prefers passages that state targets, a review
# question passages that state results, a 2035 question the long-range vision.
TARGET, ACHIEVEMENT, LONG_RANGE = "target", "achievement", "long_range"
QUESTION_TIME_CUES = {
    LONG_RANGE: r"2035|二〇三五|二0三五|二○三五|远景",
    ACHIEVEMENT: r"十三五|成效|成就|完成|取得|截至|过去|近五年|已经|累计|20(?:1\d|20)年",
    TARGET: r"目标|到20[2-3]\d年|十四五|力争|计划|打算|将要|规划|预期|末",
}
PASSAGE_TIME_CUES = {
    LONG_RANGE: r"2035|二〇三五|二0三五|二○三五|远景",
    ACHIEVEMENT: r"十三五|成效|成就|发展基础|现实基础|累计|完成|实现了|达到了|同比增长",
    TARGET: r"力争|到20[2-3]\d年|目标|十四五末|“十四五”末|达到|预期",
}

# --- Answers --------------------------------------------------------------------------
# Measure words a figure is counted in; a question asking 多少家 wants a figure in 家.
_MEASURE_WORDS_TEXT = (
    "亿元 万元 元 亿美元 万美元 美元 % ‰ 个百分点 家 个 座 所 项 条 名 人 人次 万人 件 台 套 辆 "
    "平方公里 平方米 万平方米 亩 公里 千米 米 吨 万吨 标准煤 千瓦 兆瓦 万千瓦 "
    "千瓦时 度 倍 年 天 小时 分钟 位 级 支 批 张 床 张床 户 次 届 个月"
)
MEASURE_WORDS = tuple(_MEASURE_WORDS_TEXT.split())
# Classifiers a count is given in: 多少个项目 is answered by 50项, 3家, 12座 as well.
GENERAL_CLASSIFIER = "个"
COUNT_CLASSIFIERS = frozenset("个家项座所条名人位支批张户次件台套辆处块期")
# Money asked for in everyday words (多少钱, 补贴多少): a figure in one of these.
MONEY_CUES = (
    r"多少钱|几多钱|多少[\u4e00-\u9fff]{0,4}?(?:补贴|补助|奖励|资金|经费|奖金|投资)"
    r"|(?:补贴|补助|奖励|奖|投资|给)多少"
)
MONEY_MEASURES = ("元", "万元", "亿元", "美元", "万美元", "亿美元")
# A figure the question asks to be counted in something: 多少家, 几座, 多少亿元.
ASKED_MEASURE = (
    r"(?:多少|(?<!哪)几)(亿元|万元|元|亿美元|平方公里|万平方米|亩|公里|家|个|座|所|项|条|名|人|件|台"
    r"|套|辆|吨|倍|年|天|位|支|批|张|户|次)"
)
# A share or a rate is a figure in %.
SHARE_CUES = r"比例|比重|占比|百分之|增速|增长率|覆盖率|普及率|率"
# A sentence that states a target: what is to be reached, by when.
TARGET_STATEMENT = r"力争|到20[2-9]\d年|达到|目标|以上|突破|培育|建成|实现"
# An item of an enumeration written inside a paragraph (一是…二是…, ——…), not as a heading:
# what follows it up to the next such item is that item's body.
_INLINE_ITEM_MARK = r"——|[一二三四五六七八九十]+是"
INLINE_ITEM = rf"^(?:{_INLINE_ITEM_MARK})"
# A sentence that opens an item of an enumeration: ——…, 一是…, (一)…, 1.…, or a short label
# and a colon (优化“一线”:…), but not a lead-in (重点包括:…).
ITEM_START = (
    rf"^(?:{_INLINE_ITEM_MARK}|[(（]?[一二三四五六七八九十\d]{{1,3}}[)）、.．]"
    r"|[^，,。；;:：]{2,10}(?<!包括)(?<!如下)[:：])"
)
# A numbered section under a chapter (第二节 强化要素保障): as much a list's item as (二).
NUMBERED_SECTION = r"^第[一二三四五六七八九十百\d]+节"
# Inside an enumeration: items joined by 、 within one clause.
CLAUSE_MARKS = "，,；;。:："

# --- Not a question -------------------------------------------------------------------
MARKUP = r"<[^<>]{0,400}>|&[a-z]{2,8};|&#\d{1,6};"

# --- Reading documents ----------------------------------------------------------------
# How Chinese government documents and the web pages that publish them label, sign and
# surround their text. Matched as whole words; a label may be letter-spaced (标 题:).

# Page metadata labels (标题, 发布机构, 成文日期 …) by the DocMeta field each fills.
# "signed" is the document's own date, "published" the page's; "other" labels are read
# only so that they end the value before them on a shared line.
META_FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "title": ("标题",),
    "issuer": ("发文机关", "发布机构", "发文单位", "发布单位"),
    "source": ("信息来源", "文章来源", "来源"),
    "signed": ("成文日期", "发文日期", "签发日期", "印发日期"),
    "published": ("发布日期", "发布时间", "公开日期", "时间", "日期"),
    "doc_number": ("发文字号", "文号"),
    "other": ("索引号", "主题分类", "分类", "效力状态", "有效性", "公开方式", "作者", "编辑"),
}
# Labels of the line where a web page states when it went up (发布日期:2022-03-21 来源:…);
# read wherever the line stands on the page, so only these unmistakable ones.
PUBLISHED_LABELS = ("发布日期", "发布时间")
# Every label of a page's metadata block, which cleaning skips as boilerplate.
PAGE_META_LABELS: tuple[str, ...] = (
    *(label for labels in META_FIELD_LABELS.values() for label in labels),
    *("体裁分类", "组配分类", "生成日期", "实施日期", "责任编辑", "主题词", "公开范围"),
)
# Values that mean "none" in a metadata field (文号: 无).
NONE_VALUES = frozenset({"", "无", "-", "/", "—", "暂无"})
# How the names of issuing bodies end (新乡高新区管委会, 国务院办公厅, 市发展改革委).
ORG_SUFFIXES = (
    "管委会", "管理委员会", "委员会", "人民政府", "政府", "办公室", "办公厅",
    "党工委", "工委", "党委", "区委", "市委", "县委", "局", "厅", "国务院", "部", "委",
)  # fmt: skip
# How website and media names end: a page's 发布机构 may name the site, not an issuer.
WEBSITE_SUFFIXES = ("网", "网站", "门户", "官网", "客户端", "公众号", "微信", "微博", "APP")
WEBSITE_MARKS = ("www.", "http", ".gov.cn", ".com", ".cn")
# Kinds of document a title ends with.
DOC_KINDS = (
    "规划", "纲要", "方案", "意见", "建议", "通知", "办法", "决定", "报告", "计划", "细则",
    "规定", "条例", "公告", "通告", "批复", "函", "政策", "措施", "指南",
)  # fmt: skip
# 关于印发《X》的通知: the verbs and kinds of a notice that wraps the document it issues.
NOTICE_VERBS = ("印发", "转发", "颁布", "发布")
NOTICE_KINDS = ("通知", "决定", "公告", "通告")
# 《X》已经…批准: how a notice says the document it wraps was adopted.
ADOPTED_VERBS = ("印发", "同意", "批准", "通过")
# (2021年1月22日…会议通过): a document adopted by a meeting is dated by the adoption.
ADOPTED_ON_VERBS = ("通过", "批准")

# Web page furniture: whole lines of page tools (听全文, 字体【大 中 小】, 打印 关闭 …).
PAGE_TOOL_WORDS = (
    "听全文", "朗读", "分享到", "分享", "打印本页", "打印", "关闭窗口", "关闭本页", "关闭",
    "加入收藏", "收藏本页", "收藏", "返回顶部", "返回列表", "返回", "字体", "字号", "默认",
    "设为首页", "无障碍", "长者模式", "我要纠错", "纠错", "上一篇", "下一篇", "相关附件",
    "相关新闻", "相关链接", "相关文章", "相关阅读", "相关稿件", "相关文件", "网站地图",
    "联系我们", "保护视力色", "视力保护色", "微信", "微博", "QQ空间",
)  # fmt: skip
# Breadcrumbs: 当前位置: 首页 > …
NAV_LABELS = ("当前位置", "您的位置", "你的位置", "所在位置", "位置")
HOME_PAGE = "首页"
SCAN_PROMPT = "扫一扫"  # 扫一扫在手机打开当前页
PAGE_COUNTER_WORDS = (
    "访问量", "访问次数", "浏览量", "浏览次数", "阅读量", "阅读次数", "阅读数", "点击量",
    "点击数", "访问人数", "浏览人次",
)  # fmt: skip
# Page footers: copyright, site registration, browser hints (letters may be spaced).
PAGE_FOOTER_WORDS = (
    "版权所有", "copyright", "©", "ICP备", "ICP证", "公网安备", "网站标识码", "网站地图",
    "网站声明", "隐私声明", "最佳分辨率",
)  # fmt: skip
SITE_ROLE_LABELS = ("主办", "承办", "协办")  # 主办单位: … at the start of a footer line
FOOTER_LABELS = ("技术支持",)  # 技术支持: … anywhere in a footer line
TOC_TITLES = ("目录", "目次")

# --- What the product says ------------------------------------------------------------

NOT_FOUND = "未在已收录的文件中找到相关内容。"
