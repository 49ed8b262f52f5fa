"""Bench-only views: the stack's floor and ceiling, with nothing of Entitle's rules in them.

- `hello`: a JSON answer without the database: what gunicorn + Django cost per request.
- `ceiling_redeem`: the least a redemption must do: lock the code row, re-check, update it,
  insert the redemption, in one transaction. Served only by bench.settings (bench/urls.py).
"""

import json

from django.db import transaction
from django.db.models import F
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from bench.models import CeilingCode, CeilingRedemption


@require_GET
def hello(request):
    return JsonResponse({"ok": True})


@csrf_exempt
@require_POST
def ceiling_redeem(request):
    try:
        body = json.loads(request.body)
        code_text, user_ref = str(body["code"]), str(body["user"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": "send {code, user}"}, status=400)
    now = timezone.now()
    with transaction.atomic():
        code = CeilingCode.objects.select_for_update().filter(code=code_text).first()
        if code is None:
            return JsonResponse({"error": "no such code"}, status=404)
        if code.remaining <= 0:
            return JsonResponse({"error": "used up"}, status=409)
        CeilingCode.objects.filter(pk=code.pk).update(
            remaining=F("remaining") - 1, redemptions_count=F("redemptions_count") + 1,
            last_redeemed_at=now)
        CeilingRedemption.objects.create(code=code, user_ref=user_ref, redeemed_at=now)
    return JsonResponse({"code": code_text, "redeemed_at": now.isoformat()}, status=201)
