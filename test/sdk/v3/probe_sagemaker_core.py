"""Tries SDK v3's resource classes (`sagemaker.core.resources`, PyPI's `sagemaker-core` 2.x,
which `sagemaker` 3.x builds on) on the v2 suite's flows against a running local platform, and
prints each call with what it answered. A probe, not a test: it needs its own venv, because
`sagemaker` v2 (the project's .venv) requires `sagemaker-core<2`.

    uv venv /tmp/sm-v3 && uv pip install --python /tmp/sm-v3/bin/python sagemaker-core==2.27.0
    set -a; . .understudy/local.env; set +a
    /tmp/sm-v3/bin/python test/sdk/v3/probe_sagemaker_core.py

The resource classes take a boto3 session and a region, no endpoint: they reach Understudy
through AWS_ENDPOINT_URL_SAGEMAKER / AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME (local.env sets both).
"""
import json
import os
import pathlib
import sys
import traceback
import uuid

import boto3
import botocore.config

from sagemaker.core import resources, shapes

ROOT = pathlib.Path(__file__).resolve().parents[3]
MODELS = ROOT / "test" / "fixtures" / "models"
ROLE = "arn:aws:iam::123456789012:role/understudy-sdk-suite"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/onnx-serving:latest"
REGION = os.environ.get("AWS_REGION", "us-east-1")

session = boto3.Session(
    aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
    region_name=REGION,
)
s3 = session.client(
    "s3",
    endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"],
    config=botocore.config.Config(s3={"addressing_style": "path"}),
)
bucket = os.environ["UNDERSTUDY_BUCKET"]
expected = json.loads((MODELS / "expected.json").read_text())
name = f"v3-{uuid.uuid4().hex[:8]}"
results = []


def attempt(call, fn):
    try:
        answer = fn()
        results.append((call, "works", ""))
        return answer
    except Exception as error:  # a probe reports every failure, whatever its type
        text = f"{type(error).__name__}: {error}".splitlines()[0][:300]
        results.append((call, "FAILS", text))
        if os.environ.get("PROBE_TRACEBACK"):
            traceback.print_exc()
        return None


key = f"sdk-suite/v3/{name}/regressor.onnx"
s3.put_object(Bucket=bucket, Key=key, Body=(MODELS / "regressor.onnx").read_bytes())
model_data = f"s3://{bucket}/{key}"
kw = {"session": session, "region": REGION}

model = attempt(
    "Model.create",
    lambda: resources.Model.create(
        model_name=name,
        primary_container=shapes.ContainerDefinition(image=IMAGE, model_data_url=model_data),
        execution_role_arn=ROLE,
        **kw,
    ),
)
attempt("Model.get", lambda: resources.Model.get(model_name=name, **kw).model_arn)
attempt(
    "EndpointConfig.create (with DataCaptureConfig)",
    lambda: resources.EndpointConfig.create(
        endpoint_config_name=name,
        production_variants=[
            shapes.ProductionVariant(
                variant_name="AllTraffic", model_name=name, initial_instance_count=1, instance_type="ml.m5.large"
            )
        ],
        data_capture_config=shapes.DataCaptureConfig(
            enable_capture=True,
            initial_sampling_percentage=100,
            destination_s3_uri=f"s3://{bucket}/sdk-suite/v3/captures",
            capture_options=[shapes.CaptureOption(capture_mode="Input"), shapes.CaptureOption(capture_mode="Output")],
        ),
        **kw,
    ),
)
endpoint = attempt(
    "Endpoint.create", lambda: resources.Endpoint.create(endpoint_name=name, endpoint_config_name=name, **kw)
)
attempt("Endpoint.wait_for_status('InService')", lambda: endpoint.wait_for_status("InService", poll=1, timeout=120))
rows = "\n".join(",".join(str(v) for v in row) for row in expected["inputs"])


def invoke_and_check():
    answer = endpoint.invoke(body=rows, content_type="text/csv", accept="application/json")
    predictions = json.loads(answer.body.read())["predictions"]
    want = expected["models"]["regressor.onnx"]["score"]
    if any(abs(p - w) > 1e-5 * max(1, abs(w)) for p, w in zip(predictions, want, strict=True)):
        raise AssertionError(f"predictions {predictions} != NumPy's {want}")
    return predictions


attempt("Endpoint.invoke (text/csv, answers == NumPy's)", invoke_and_check)

group = f"{name}-group"
attempt(
    "ModelPackageGroup.create",
    lambda: resources.ModelPackageGroup.create(model_package_group_name=group, **kw),
)


def create_package(inference_specification):
    return lambda: resources.ModelPackage.create(
        model_package_group_name=group,
        inference_specification=inference_specification(
            containers=[shapes.ModelPackageContainerDefinition(image=IMAGE, model_data_url=model_data)],
            supported_content_types=["text/csv"],
            supported_response_mime_types=["application/json"],
        ),
        model_approval_status="Approved",
        **kw,
    )


# `sagemaker.core.shapes` star-imports the model card's shapes after the API's, so its
# InferenceSpecification is the model card's: the obvious spelling fails before any request.
attempt("ModelPackage.create with shapes.InferenceSpecification", create_package(shapes.InferenceSpecification))
api_shapes = sys.modules["sagemaker.core.shapes.shapes"]
package = attempt(
    "ModelPackage.create with the API's InferenceSpecification", create_package(api_shapes.InferenceSpecification)
) or attempt(
    "ModelPackage.create with a dict",
    create_package(lambda **fields: {**fields, "containers": [{"image": IMAGE, "model_data_url": model_data}]}),
)
if package is None:
    # So that what follows still probes Understudy: the same package, created with boto3.
    arn = session.client("sagemaker").create_model_package(
        ModelPackageGroupName=group,
        InferenceSpecification={
            "Containers": [{"Image": IMAGE, "ModelDataUrl": model_data}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["application/json"],
        },
        ModelApprovalStatus="Approved",
    )["ModelPackageArn"]
    package = type("Created", (), {"model_package_arn": arn})()
attempt(
    "ModelPackage.get",
    lambda: resources.ModelPackage.get(model_package_name=package.model_package_arn, **kw).model_approval_status,
)
attempt(
    "Model.create from the package",
    lambda: resources.Model.create(
        model_name=f"{name}-pkg",
        primary_container=shapes.ContainerDefinition(model_package_name=package.model_package_arn),
        execution_role_arn=ROLE,
        **kw,
    ),
)
attempt("ModelPackageGroup.get_all", lambda: list(resources.ModelPackageGroup.get_all(**kw)))
attempt("Endpoint.get_all", lambda: [e.endpoint_name for e in resources.Endpoint.get_all(**kw)])
attempt("Endpoint.delete", lambda: endpoint.delete())
attempt("EndpointConfig.get + delete", lambda: resources.EndpointConfig.get(endpoint_config_name=name, **kw).delete())
attempt("Model.delete", lambda: model.delete())

width = max(len(call) for call, _, _ in results)
for call, outcome, text in results:
    print(f"{call:<{width}}  {outcome}  {text}")
sys.exit(0 if all(outcome == "works" for _, outcome, _ in results) else 1)
