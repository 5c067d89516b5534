"""The Wagtail admin's sidebar menu, as staff click it: a menu opens its submenu, then one of
its items is chosen (the labels are the Japanese ones staff read)."""


def admin_go(page, *labels):
    """Click ``labels`` in the sidebar, e.g. ``admin_go(page, "レポート", "研修ダッシュボード")``,
    and wait for the page."""
    sidebar = page.locator(".sidebar")
    *menus, item = labels
    for menu in menus:
        button = sidebar.get_by_role("button", name=menu, exact=True)
        if button.get_attribute("aria-expanded") != "true":
            button.click()
    sidebar.get_by_role("link", name=item, exact=True).click()
    page.wait_for_load_state()


def add_button(page, label):
    """The listing's header button that opens the add form ("<label> を追加")."""
    return page.locator("header").get_by_role("link", name=f"{label} を追加", exact=True)
