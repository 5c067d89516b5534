import secrets

from allauth.account.adapter import DefaultAccountAdapter


class MemberAccountAdapter(DefaultAccountAdapter):
    """Members never sign up (the roster decides who exists) and get a 6-digit code."""

    def is_open_for_signup(self, request):
        return False

    def generate_login_code(self) -> str:
        # Digits only: easy to type on a phone keypad (inputmode=numeric).
        return f"{secrets.randbelow(10**6):06d}"

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Rendered here, sent by the task queue: the answer to a code request takes the same
        time whether or not the address is on the roster (no wait for the mail server)."""
        from allauth.core import context as allauth_context
        from django.contrib.sites.shortcuts import get_current_site

        from .tasks import send_email_task

        request = allauth_context.request
        message = self.render_mail(
            template_prefix,
            email,
            {"request": request, "email": email, "current_site": get_current_site(request)}
            | context,
        )
        send_email_task.delay(
            subject=message.subject,
            body=message.body,
            from_email=message.from_email,
            to=list(message.to),
            alternatives=[list(a) for a in getattr(message, "alternatives", [])],
        )
