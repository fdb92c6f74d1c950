from decimal import Decimal

from editorial.typesetting.charts import ChartPoint, indicator_chart_svg


def test_chart_is_static_svg_with_chinese_labels():
    points = [ChartPoint(f"1—{m}月", Decimal(1000 + m * 37)) for m in range(1, 12)]
    svg = indicator_chart_svg(points, title="软件业务收入", unit="亿元")
    assert svg.lstrip().startswith("<svg")
    assert "<script" not in svg
    assert "软件业务收入（亿元）" in svg
    assert "1—11月" in svg


def test_chart_accepts_missing_values():
    svg = indicator_chart_svg([ChartPoint("1月", None), ChartPoint("2月", 3.5)], title="增速")
    assert "<svg" in svg
