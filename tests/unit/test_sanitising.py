from editorial.sanitising import sanitise_body_html


def test_scripts_and_handlers_are_removed_text_kept():
    dirty = (
        '<p onclick="steal()">收入<script>alert(1)</script>增长'
        '<a href="javascript:evil()">链接</a><img src=x onerror=alert(1)></p>'
    )
    clean = sanitise_body_html(dirty)
    assert "script" not in clean and "onclick" not in clean and "javascript" not in clean
    assert "onerror" not in clean and "<img" not in clean
    assert "收入" in clean and "增长" in clean and "链接" in clean


def test_allowed_structure_survives():
    html = '<h3>需求侧</h3><p>正文<strong>重点</strong></p><table><tbody><tr><td>1</td></tr></tbody></table>'
    assert sanitise_body_html(html) == html


def test_external_links_get_rel():
    assert 'rel="noopener noreferrer nofollow"' in sanitise_body_html('<a href="https://a.example">x</a>')
