from django import template

register = template.Library()


def hint_id(field) -> str:
    return f"{field.auto_id}_helptext"


def error_id(field, n: int) -> str:
    return f"{field.auto_id}_error{n}"


@register.simple_tag
def field_input(field):
    """The field's widget, with aria-describedby naming exactly the hint and error elements
    that members/includes/form_field.html renders (none when there are none)."""
    described_by = [hint_id(field)] if field.help_text else []
    described_by += [error_id(field, n) for n in range(1, len(field.errors) + 1)]
    attrs = {"aria-describedby": " ".join(described_by)} if described_by else {}
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


@register.simple_tag
def field_error_id(field, n):
    return error_id(field, n)
