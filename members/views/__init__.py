"""Admin views of the members app (roster lists, imports, reports). Public views: none yet."""
