"""OpenAPI descriptions of Entitle's credential forms (drf-spectacular extensions)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from accounts.permissions import SCOPE_STAFF, SCOPES, requirement


def token_scopes(auto_schema) -> list[list[str]]:
    """The scopes an OAuth2 token needs for this operation (alternatives: a learner's scope,
    or `staff` for a back-office operation), read from the permission table's rule."""
    needed = requirement(auto_schema.view, auto_schema.method)
    alternatives = []
    if needed.learner_scope:
        alternatives.append([needed.learner_scope])
    if needed.back_office:
        alternatives.append([SCOPE_STAFF])
    return alternatives


class BearerScheme(OpenApiAuthenticationExtension):
    """`Authorization: Bearer`: an API key (its role decides), or an OAuth2 token (its scopes
    decide: each operation lists the scopes it needs)."""

    target_class = "accounts.authentication.BearerAuthentication"
    name = ["ApiKeyBearer", "OAuth2"]

    def get_security_requirement(self, auto_schema):
        return [{"ApiKeyBearer": []}] + [{"OAuth2": scopes}
                                         for scopes in token_scopes(auto_schema)]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "http", "scheme": "bearer",
             "description": "An API key (staff create them in the admin or with "
                            "`manage.py create_api_key NAME --role R`): its role decides "
                            "what it may do (README, Permissions)."},
            {"type": "oauth2", "description": "A learner's OAuth2 access token from "
                                              "/oauth/token/, within its scopes.",
             "flows": {"password": {"tokenUrl": "/oauth/token/", "scopes": SCOPES}}},
        ]


class ZypeApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ZypeApiKeyAuthentication"
    name = "ZypeApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "query", "name": "api_key",
                "description": "An API key as Zype's `api_key` parameter (query or body)."}


class AuthCodeScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.AuthCodeAuthentication"
    name = "EduBriteAuthCode"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "query", "name": "authCode",
                "description": "An API key as EduBrite's `authCode` parameter."}


class AccessTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.AccessTokenParameterAuthentication"
    name = "ZypeAccessToken"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "query", "name": "access_token",
                "description": "A learner's OAuth2 access token (Zype's `access_token`)."}


class StaffBasicScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.StaffBasicAuthentication"
    name = "StaffBasic"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "basic", "description": "A staff user's email and "
                                                                  "password (Tizra)."}
