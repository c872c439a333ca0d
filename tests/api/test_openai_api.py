"""OpenAI API compatibility, through the official `openai` Python package."""
import base64
import concurrent.futures
import json
import math
import struct

import openai
import pytest

from conftest import API_KEY, MODEL, http, wait_until

QUESTION_EN = [{"role": "user", "content": "What is the capital of Malaysia?"}]
QUESTION_MS = [{"role": "user", "content": "Apakah ibu negara Malaysia?"}]


def test_models_lists_the_demo_model(client):
    ids = [m.id for m in client.models.list()]
    assert MODEL in ids
    assert client.models.retrieve(MODEL).id == MODEL


def test_chat_answers_in_english_and_malay(client):
    en = client.chat.completions.create(model=MODEL, messages=QUESTION_EN, temperature=0)
    assert "Kuala Lumpur" in en.choices[0].message.content
    assert en.choices[0].finish_reason == "stop"
    ms = client.chat.completions.create(model=MODEL, messages=QUESTION_MS, temperature=0)
    assert "Kuala Lumpur" in ms.choices[0].message.content
    u = ms.usage
    assert u.prompt_tokens > 10 and u.completion_tokens > 0
    assert u.total_tokens == u.prompt_tokens + u.completion_tokens


def test_n_choices_each_answer_and_usage_counts_the_prompt_once(client):
    args = dict(model=MODEL, messages=QUESTION_MS, seed=7, temperature=0, max_tokens=12)
    one = client.chat.completions.create(**args)
    three = client.chat.completions.create(n=3, **args)
    assert [c.index for c in three.choices] == [0, 1, 2]
    assert all(c.message.content and c.finish_reason in ("stop", "length") for c in three.choices)
    assert all(c.message.content == one.choices[0].message.content for c in three.choices)  # greedy: alike
    assert three.usage.prompt_tokens == one.usage.prompt_tokens
    assert three.usage.completion_tokens >= 3
    chunks = list(client.chat.completions.create(n=3, stream=True, stream_options={"include_usage": True}, **args))
    for c in three.choices:
        streamed = "".join(k.choices[0].delta.content or "" for k in chunks if k.choices and k.choices[0].index == c.index)
        assert streamed == c.message.content
    assert chunks[-1].usage.completion_tokens == three.usage.completion_tokens
    text = client.completions.create(model=MODEL, prompt="Kuala Lumpur ialah", max_tokens=5, n=2, seed=3)
    assert [c.index for c in text.choices] == [0, 1] and all(c.text for c in text.choices)


def test_stream_joins_to_the_non_stream_answer(client):
    args = dict(model=MODEL, messages=QUESTION_MS, temperature=0, seed=42, max_tokens=40)
    whole = client.chat.completions.create(**args)
    chunks = list(client.chat.completions.create(stream=True, stream_options={"include_usage": True}, **args))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finish == [whole.choices[0].finish_reason]
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens
    assert chunks[-1].usage.prompt_tokens == whole.usage.prompt_tokens


def test_max_tokens_and_stop(client):
    r = client.chat.completions.create(model=MODEL, messages=QUESTION_EN, temperature=0, max_completion_tokens=3)
    assert r.choices[0].finish_reason == "length"
    assert r.usage.completion_tokens == 3
    r = client.chat.completions.create(model=MODEL, messages=QUESTION_EN, temperature=0, stop=["Kuala"])
    assert "Kuala" not in r.choices[0].message.content
    assert r.choices[0].finish_reason == "stop"


def test_json_schema_output_parses_and_validates(client):
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
        "required": ["city", "population"],
        "additionalProperties": False,
    }
    r = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Give the capital of Malaysia and its population as JSON."}],
        temperature=0,
        max_tokens=80,
        response_format={"type": "json_schema", "json_schema": {"name": "city", "schema": schema, "strict": True}},
    )
    data = json.loads(r.choices[0].message.content)
    assert set(data) == {"city", "population"}
    assert isinstance(data["city"], str) and isinstance(data["population"], int)


def test_json_object_output_parses(client):
    r = client.chat.completions.create(
        model=MODEL, messages=QUESTION_EN, temperature=0, max_tokens=60, response_format={"type": "json_object"}
    )
    assert isinstance(json.loads(r.choices[0].message.content), dict)


def test_text_completions(client):
    r = client.completions.create(model=MODEL, prompt="Question: What is the capital of Malaysia?\nAnswer:",
                                  temperature=0, max_tokens=8)
    assert "Kuala Lumpur" in r.choices[0].text
    streamed = "".join(c.choices[0].text for c in client.completions.create(
        model=MODEL, prompt="Question: What is the capital of Malaysia?\nAnswer:", temperature=0, max_tokens=8,
        stream=True) if c.choices)
    assert streamed == r.choices[0].text


def test_embeddings_shape_and_norm(client):
    r = client.embeddings.create(model=MODEL, input=["Kuala Lumpur", "Ibu negara Malaysia", "吉隆坡"])
    assert [d.index for d in r.data] == [0, 1, 2]
    dims = {len(d.embedding) for d in r.data}
    assert len(dims) == 1 and dims.pop() > 100
    for d in r.data:
        assert math.isclose(math.sqrt(sum(x * x for x in d.embedding)), 1.0, rel_tol=1e-3)
    assert r.usage.prompt_tokens > 0
    raw = http("POST", f"{client.base_url}embeddings", headers={"Authorization": f"Bearer {API_KEY}"},
               body={"model": MODEL, "input": "Kuala Lumpur", "encoding_format": "base64"}).json()
    decoded = base64.b64decode(raw["data"][0]["embedding"])
    floats = struct.unpack(f"<{len(decoded) // 4}f", decoded)
    assert floats == pytest.approx(r.data[0].embedding, abs=1e-6)


def _raw(base_url, body, headers=None, path="/v1/chat/completions"):
    h = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    h.update(headers or {})
    return http("POST", base_url + path, body=body, headers=h)


def _assert_error_shape(resp, status):
    assert resp.status_code == status, resp.text
    err = resp.json()["error"]
    assert isinstance(err["message"], str) and err["message"]
    assert "type" in err and "param" in err and "code" in err


def test_malformed_json_is_400(base_url):
    _assert_error_shape(_raw(base_url, b'{"model": "x", "messages": [}'), 400)
    _assert_error_shape(_raw(base_url, b"[1, 2, 3]"), 400)


@pytest.mark.parametrize("field,value", [
    ("temperature", "hot"), ("temperature", 7), ("max_tokens", -5), ("max_tokens", 1.5), ("messages", "hi"),
    ("messages", []), ("stop", 5), ("stream", "yes"), ("n", 0), ("n", 17), ("response_format", {"type": "xml"}),
    ("top_p", 0), ("seed", "abc"),
])
def test_wrong_types_and_ranges_are_400(client, field, value):
    body = {"model": MODEL, "messages": QUESTION_EN}
    body[field] = value
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(**body)
    assert e.value.status_code == 400


def test_unknown_model_is_404(client):
    with pytest.raises(openai.NotFoundError) as e:
        client.chat.completions.create(model="no-such-model", messages=QUESTION_EN)
    assert e.value.body["code"] == "model_not_found"


def test_prompt_over_the_context_is_400(client):
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "kata " * 3000}])
    assert "context" in str(e.value)


def test_oversize_body_is_413(base_url):
    body = json.dumps({"model": MODEL, "messages": [{"role": "user", "content": "x" * (2 << 20)}]}).encode()
    _assert_error_shape(_raw(base_url, body), 413)


def test_missing_or_wrong_key_is_401(base_url):
    r = http("POST", base_url + "/v1/chat/completions", body={"model": MODEL, "messages": QUESTION_EN})
    _assert_error_shape(r, 401)
    bad = openai.OpenAI(base_url=base_url + "/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.chat.completions.create(model=MODEL, messages=QUESTION_EN)
    with pytest.raises(openai.AuthenticationError):
        bad.models.list()


def test_unknown_path_and_method(base_url):
    _assert_error_shape(http("GET", base_url + "/v1/nothing-here"), 404)
    r = http("GET", base_url + "/v1/chat/completions", headers={"Authorization": f"Bearer {API_KEY}"})
    _assert_error_shape(r, 405)


def _active_sequences(base_url):
    for line in http("GET", base_url + "/metrics", headers={"Authorization": f"Bearer {API_KEY}"}).text.splitlines():
        if line.startswith(f'daulat_active_sequences{{model="{MODEL}"}}'):
            return int(line.split()[-1])
    raise AssertionError("no active sequences metric")


def test_disconnect_mid_stream_frees_the_sequence(client, base_url):
    stream = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Write a very long story about Penang."}],
        max_tokens=2000, stream=True, temperature=1.0, stop=[], seed=1)
    got = 0
    for _ in stream:
        got += 1
        if got == 3:
            break
    assert _active_sequences(base_url) >= 0
    stream.close()
    assert wait_until(lambda: _active_sequences(base_url) == 0, timeout=10), "sequence not freed after disconnect"


def test_fifty_concurrent_requests_all_complete(client):
    def ask(i):
        r = client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": f"Count to {i % 7 + 2}."}], max_tokens=8, temperature=0)
        return r.usage.completion_tokens

    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(ask, range(50)))
    assert len(results) == 50 and all(n >= 1 for n in results)


def test_health_ready_and_metrics(base_url):
    assert http("GET", base_url + "/healthz").json() == {"status": "ok"}
    assert http("GET", base_url + "/readyz").status_code == 200
    assert http("GET", base_url + "/metrics").status_code == 401  # server-wide: the operator's
    text = http("GET", base_url + "/metrics", headers={"Authorization": f"Bearer {API_KEY}"}).text
    for name in ["daulat_http_requests_total", "daulat_http_request_duration_seconds_bucket",
                 "daulat_queue_depth", "daulat_kv_cells_used", "daulat_prompt_tokens_total",
                 "daulat_completion_tokens_total"]:
        assert name in text


WEATHER_TOOL = [{"type": "function", "function": {
    "name": "get_weather", "description": "Current weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]


def test_tool_call_round_trip(client):
    messages = [{"role": "user", "content": "What is the weather in Kuala Lumpur?"}]
    r = client.chat.completions.create(model=MODEL, messages=messages, tools=WEATHER_TOOL, tool_choice="required",
                                       parallel_tool_calls=False, temperature=0)
    choice = r.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.type == "function" and call.function.name == "get_weather"
    assert isinstance(json.loads(call.function.arguments)["city"], str)
    messages.append(choice.message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": call.id,
                     "content": json.dumps({"city": "Kuala Lumpur", "temperature_c": 31, "sky": "cerah"})})
    final = client.chat.completions.create(model=MODEL, messages=messages, tools=WEATHER_TOOL, tool_choice="none",
                                           temperature=0, max_tokens=40)
    assert final.choices[0].finish_reason in ("stop", "length")
    assert final.choices[0].message.content and not final.choices[0].message.tool_calls


def test_tool_call_streams_as_one_delta(client):
    chunks = list(client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Weather in Ipoh?"}], tools=WEATHER_TOOL,
        tool_choice={"type": "function", "function": {"name": "get_weather"}}, parallel_tool_calls=False,
        temperature=0, stream=True))
    calls = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert len(calls) == 1 and calls[0].function.name == "get_weather"
    json.loads(calls[0].function.arguments)
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["tool_calls"]


def test_tools_without_a_call_answer_in_text(client):
    r = client.chat.completions.create(model=MODEL, messages=QUESTION_EN, tools=WEATHER_TOOL, temperature=0)
    assert "Kuala Lumpur" in r.choices[0].message.content


@pytest.mark.parametrize("extra", [
    {"tool_choice": {"type": "function", "function": {"name": "nope"}}},
    {"tools": [{"type": "function", "function": {"name": "bad name!"}}]},
    {"tools": "get_weather"},
    {"tool_choice": "sometimes"},
])
def test_bad_tool_requests_are_400(client, extra):
    body = {"model": MODEL, "messages": QUESTION_EN, "tools": WEATHER_TOOL}
    body.update(extra)
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(**body)
