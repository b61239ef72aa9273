"""Fixtures of the SageMaker Python SDK suite: a `sagemaker.Session` pointed at the local
platform the vitest integration run started (its local.env arrives in the environment, see
test/integration/sagemaker-sdk.integration.test.ts), the fixture models and their NumPy
answers, and the local platform's on-demand trigger of the monitor's 5-minute tick."""
import functools
import json
import os
import pathlib
import time
import uuid

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.exceptions
import pytest
import requests
import sagemaker
import sagemaker.session

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODELS = ROOT / "test" / "fixtures" / "models"
# Understudy records a role and assumes none; the SDK insists on one (get_execution_role() would ask STS at AWS).
ROLE = "arn:aws:iam::123456789012:role/understudy-sdk-suite"
INSTANCE_TYPE = "ml.m5.large"


def _env(name):
    value = os.environ.get(name)
    if not value:
        pytest.exit(f"{name} is not set: run this suite through vitest (npm run test:integration)", returncode=4)
    return value


class MissingOperation(Exception):
    """What a test raises when Understudy answers UnknownOperationException for `operation`:
    an xfail that names this exception fails for any other reason (see `needs`)."""


def needs(operation):
    """Turns exactly `UnknownOperationException` naming `operation` into `MissingOperation`, so
    `@pytest.mark.xfail(strict=True, raises=MissingOperation)` tolerates that gap and no other."""

    def decorate(test):
        @functools.wraps(test)
        def wrapper(*args, **kwargs):
            try:
                return test(*args, **kwargs)
            except botocore.exceptions.ClientError as error:
                err = error.response.get("Error", {})
                if err.get("Code") == "UnknownOperationException" and operation in str(err.get("Message", "")):
                    raise MissingOperation(f"{operation}: {err.get('Message')}") from error
                raise

        return wrapper

    return decorate


@pytest.fixture(scope="session")
def platform():
    return {
        "url": _env("UNDERSTUDY_URL"),
        "s3": _env("AWS_ENDPOINT_URL_S3"),
        "bucket": _env("UNDERSTUDY_BUCKET"),
        "region": os.environ.get("AWS_REGION", "us-east-1"),
        # Model Monitor's alerts topic (SNS), where an execution with violations publishes.
        "alerts_topic": _env("UNDERSTUDY_ALERTS_TOPIC_ARN"),
    }


@pytest.fixture(scope="session")
def boto_session(platform):
    return boto3.Session(
        aws_access_key_id=_env("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=_env("AWS_SECRET_ACCESS_KEY"),
        region_name=platform["region"],
    )


@pytest.fixture(scope="session")
def s3(boto_session, platform):
    return boto_session.client(
        "s3", endpoint_url=platform["s3"], config=botocore.config.Config(s3={"addressing_style": "path"})
    )


@pytest.fixture(scope="session")
def session(boto_session, platform, s3):
    """The SDK as DESIGN.md's note says to point it at Understudy: explicit clients, bucket and role."""
    sess = sagemaker.Session(
        boto_session=boto_session,
        sagemaker_client=boto_session.client("sagemaker", endpoint_url=platform["url"]),
        sagemaker_runtime_client=boto_session.client(
            "sagemaker-runtime",
            endpoint_url=platform["url"],
            config=botocore.config.Config(retries={"max_attempts": 1}),
        ),
        default_bucket=platform["bucket"],
        # The SDK's telemetry calls an AWS host on every decorated call; this suite stays local.
        sagemaker_config={"SchemaVersion": "1.0", "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}}},
    )
    # S3 through its own endpoint: the Session makes these from boto_session, which knows none.
    sess.s3_client = s3
    sess.s3_resource = boto_session.resource(
        "s3", endpoint_url=platform["s3"], config=botocore.config.Config(s3={"addressing_style": "path"})
    )
    return sess


@pytest.fixture(scope="session", autouse=True)
def fast_polling():
    """The SDK's waiters sleep their poll interval (30 s for endpoints) before the first look;
    Understudy's resources are ready at once, so the suite polls every second instead. Session
    scoped, so that it is in place before the module-scoped fixtures that deploy."""
    original = sagemaker.session._wait_until
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sagemaker.session, "_wait_until", lambda fn, poll=5: original(fn, min(poll, 1)))
        yield


@pytest.fixture(scope="session")
def expected():
    """Inputs and outputs computed with NumPy by scripts/fixtures/make-test-models.py."""
    return json.loads((MODELS / "expected.json").read_text())


@pytest.fixture(scope="session")
def upload(s3, platform):
    def upload_fixture(file, key=None):
        key = key or f"sdk-suite/{unique('model')}/{file}"
        s3.put_object(Bucket=platform["bucket"], Key=key, Body=(MODELS / file).read_bytes())
        return f"s3://{platform['bucket']}/{key}"

    return upload_fixture


@pytest.fixture(scope="session")
def understudy(boto_session, platform):
    """Calls one of Understudy's own operations (`X-Amz-Target: Understudy.<Operation>`), signed
    with botocore's SigV4 like any SageMaker call."""
    credentials = boto_session.get_credentials().get_frozen_credentials()

    def call(operation, body):
        request = botocore.awsrequest.AWSRequest(
            method="POST",
            url=f"{platform['url']}/",
            data=json.dumps(body),
            headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"Understudy.{operation}"},
        )
        botocore.auth.SigV4Auth(credentials, "sagemaker", platform["region"]).add_auth(request)
        response = requests.post(request.url, data=request.body, headers=dict(request.headers), timeout=300)
        assert response.status_code == 200, response.text
        return response.json()

    return call


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def run_monitor(platform):
    """Fires the monitor's 5-minute EventBridge rule now through the local platform's trigger
    (`POST /_local/schedules/{rule}/run`, what scripts/local/trigger.ts calls), as EventBridge
    would at `at`."""

    def fire(at):
        schedules = requests.get(f"{platform['url']}/_local/schedules", timeout=30).json()["schedules"]
        rule = next(s for s in schedules if any("monitor" in t.lower() for t in s["targets"]))
        response = requests.post(
            f"{platform['url']}/_local/schedules/{rule['logicalId']}/run",
            data=json.dumps({"time": at.strftime("%Y-%m-%dT%H:%M:%SZ")}),
            timeout=300,
        )
        assert response.status_code == 200, response.text
        return response.json()

    return fire


def eventually(check, timeout=120, every=1.0):
    """Polls `check` until it returns something truthy; fails with its last answer after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        answer = check()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout} s: last answer {answer!r}")
        time.sleep(every)


REPORT = os.environ.get("UNDERSTUDY_SDK_REPORT")


def pytest_runtest_logreport(report):
    """One JSON line per test phase for the vitest file that runs this suite, so each SDK flow
    shows as its own test there, with pytest's own failure text."""
    if not REPORT or (report.when != "call" and report.outcome == "passed"):
        return
    line = {
        "nodeid": report.nodeid,
        "when": report.when,
        "outcome": report.outcome,
        "xfail": getattr(report, "wasxfail", None),
        "longrepr": report.longreprtext,
        "output": report.capstdout + report.capstderr + report.caplog,
        "seconds": round(report.duration, 2),
    }
    with open(REPORT, "a", encoding="utf8") as out:
        out.write(json.dumps(line) + "\n")
