"""OpenAPI descriptions of Entitle's credential forms (drf-spectacular extensions)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.BearerAuthentication"
    name = "ApiKeyBearer"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "An API key (staff create them in the admin or with "
                               "`manage.py create_api_key`), or a learner's OAuth2 access "
                               "token from /oauth/token/."}


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
