-- GET /bench/hello: the stack's floor (gunicorn + Django, no database).
wrk.method = "GET"
wrk.path = "/bench/hello"
