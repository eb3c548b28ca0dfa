def test_forged_signature_is_refused(app):
    forged = {"X-Slack-Signature": "v0=00", "X-Slack-Request-Timestamp": "1"}
    response = app.slack.raw(b"command=/clients&text=help", forged)
    assert response.status == 401


def test_healthz_checks_database(app):
    import urllib.request
    with urllib.request.urlopen(app.url + "/healthz") as r:
        assert r.status == 200
