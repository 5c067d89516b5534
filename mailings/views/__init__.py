"""Views of the mailings app: admin.py for the Wagtail admin, site.py for members and mail links."""
