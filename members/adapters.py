import secrets

from allauth.account.adapter import DefaultAccountAdapter


class MemberAccountAdapter(DefaultAccountAdapter):
    """Members never sign up (the roster decides who exists) and get a 6-digit code."""

    def is_open_for_signup(self, request):
        return False

    def generate_login_code(self) -> str:
        # Digits only: easy to type on a phone keypad (inputmode=numeric).
        return f"{secrets.randbelow(10**6):06d}"
