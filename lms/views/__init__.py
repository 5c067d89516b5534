"""Views of the lms app: admin.py for the Wagtail admin, site.py for members."""
