"""site_builder: YAML service definitions -> validated model -> Markdown docs tree -> mkdocs site."""
