"""Secrets never leak: the suite's scenarios run with the client secret and every access token the
emulator issued searched for in everything the connector wrote (messages, logs, traces, stderr)."""

from datetime import datetime, timedelta, timezone

from integration_tests.harness import configured_catalog, emulator_config, run
from integration_tests.marketo_emulator import FakeClock, FaultRule


def issued_tokens(emulator):
    return list(emulator.state.tokens._by_value)  # the emulator's token store: every token it handed out


def test_given_every_kind_of_run_when_the_output_is_searched_then_no_secret_or_token_appears(marketo_emulator_factory, capfd, quick_retries):
    clock = FakeClock(datetime.now(timezone.utc) - timedelta(days=3), follow_real_time=True)
    emulator = marketo_emulator_factory(clock=clock, token_ttl=2)  # short-lived tokens: several are issued
    config = emulator_config(emulator, activity_type_ids="all")
    outputs = [run("spec"), run("check", config), run("check", dict(config, client_secret=config["client_secret"] + "x"))]
    discovered = run("discover", config)
    outputs.append(discovered)
    catalog = configured_catalog(discovered.catalog)
    emulator.faults.add(FaultRule(endpoint="re:^/(rest|bulk)/", error_code="602", error_message="Access token expired", times=3))
    emulator.faults.add(FaultRule(endpoint="/rest/asset/v1/emails.json", http_status=500, body="<html>boom</html>", content_type="text/html", times=20))
    outputs.append(run("read", config, catalog))
    clock.advance(3)  # past the 2 s token lifetime: the next run is issued a new token, whatever its speed
    outputs.append(run("read", dict(config, daily_api_call_limit=5), catalog))
    captured = capfd.readouterr()
    texts = [output.text for output in outputs] + [captured.out, captured.err]
    tokens = issued_tokens(emulator)
    assert len(tokens) >= 2, tokens  # token expiry (602 and the 2 s lifetime) made the connector ask again
    assert outputs[-2].failure is not None and "emails.json" in outputs[-2].errors[-1]["message"]  # the broken emails.json failed the read
    for text in texts:
        assert config["client_secret"] not in text
        for token in tokens:
            assert token not in text
