"""The SageMaker Python SDK v2's everyday flows, as SageMaker's example notebooks write them,
against Understudy's local platform (issue 10). Answers are checked against the fixtures'
NumPy outputs (test/fixtures/models/expected.json), baselines against NumPy over the dataset."""
import datetime
import io
import json
import re

import numpy as np
import pytest
from sagemaker.model import Model
from sagemaker.model_monitor import (
    CronExpressionGenerator,
    DataCaptureConfig,
    DatasetFormat,
    DefaultModelMonitor,
)
from sagemaker.predictor import Predictor
from sagemaker.deserializers import JSONDeserializer
from sagemaker.serializers import CSVSerializer, JSONSerializer

from conftest import INSTANCE_TYPE, ROLE, eventually, unique

# Any image: Understudy runs the ONNX artifact and records the image.
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/onnx-serving:latest"
CAPTURE_FILE = re.compile(r"/AllTraffic/\d{4}/\d{2}/\d{2}/\d{2}/\d{2}-\d{2}-\d{3}-[0-9a-f-]{36}\.jsonl$")


def deploy(session, model_data, name, capture_uri=None):
    model = Model(
        image_uri=IMAGE, model_data=model_data, role=ROLE, sagemaker_session=session, name=name, predictor_cls=Predictor
    )
    capture = (
        DataCaptureConfig(enable_capture=True, sampling_percentage=100, destination_s3_uri=capture_uri)
        if capture_uri
        else None
    )
    predictor = model.deploy(
        initial_instance_count=1, instance_type=INSTANCE_TYPE, endpoint_name=name, data_capture_config=capture
    )
    return model, predictor


@pytest.fixture(scope="module")
def endpoint(session, upload, platform):
    name = unique("sdk")
    capture_uri = f"s3://{platform['bucket']}/sdk-suite/captures/{name}"
    model, predictor = deploy(session, upload("regressor.onnx"), name, capture_uri)
    return {"name": name, "model": model, "predictor": predictor, "capture_uri": capture_uri}


def test_model_deploy_with_data_capture(endpoint, session):
    described = session.sagemaker_client.describe_endpoint(EndpointName=endpoint["name"])
    assert described["EndpointStatus"] == "InService"
    assert described["DataCaptureConfig"]["EnableCapture"] is True
    assert described["DataCaptureConfig"]["DestinationS3Uri"] == endpoint["capture_uri"]
    assert endpoint["predictor"].endpoint_name == endpoint["name"]


def test_predict_with_csv_serializer(endpoint, expected):
    predictor = endpoint["predictor"]
    predictor.serializer = CSVSerializer()
    predictor.deserializer = JSONDeserializer()
    answer = predictor.predict(expected["inputs"])
    np.testing.assert_allclose(answer["predictions"], expected["models"]["regressor.onnx"]["score"], rtol=1e-6)


def test_predict_with_json_serializer(endpoint, expected):
    predictor = endpoint["predictor"]
    predictor.serializer = JSONSerializer()
    predictor.deserializer = JSONDeserializer()
    answer = predictor.predict({"instances": expected["inputs"]})
    np.testing.assert_allclose(answer["predictions"], expected["models"]["regressor.onnx"]["score"], rtol=1e-6)


def test_capture_files_in_sagemaker_layout(endpoint, session, s3, platform, expected):
    # The CSV request of the test above, sent again so this test stands on its own.
    Predictor(endpoint["name"], session, serializer=CSVSerializer()).predict(expected["inputs"])
    prefix = endpoint["capture_uri"].removeprefix(f"s3://{platform['bucket']}/") + f"/{endpoint['name']}/"

    def captured_csv():
        listed = s3.list_objects_v2(Bucket=platform["bucket"], Prefix=prefix).get("Contents", [])
        records = [
            json.loads(line)
            for key in (o["Key"] for o in listed)
            for line in s3.get_object(Bucket=platform["bucket"], Key=key)["Body"].read().decode().splitlines()
        ]
        csv = [r for r in records if r["captureData"]["endpointInput"]["observedContentType"] == "text/csv"]
        return (listed, csv) if csv else None

    listed, csv = eventually(captured_csv, timeout=120)
    assert all(CAPTURE_FILE.search(o["Key"]) for o in listed), [o["Key"] for o in listed]
    sent = "\n".join(",".join(str(v) for v in row) for row in expected["inputs"])
    record = csv[0]
    assert record["captureData"]["endpointInput"]["data"] == sent
    assert record["captureData"]["endpointInput"]["mode"] == "INPUT"
    assert record["captureData"]["endpointOutput"]["mode"] == "OUTPUT"
    assert record["eventMetadata"]["eventId"]
    assert record["eventVersion"] == "0"


def test_register_into_a_group_then_deploy_the_package(session, upload, expected):
    group = unique("sdk-group")
    session.sagemaker_client.create_model_package_group(ModelPackageGroupName=group)
    model = Model(image_uri=IMAGE, model_data=upload("regressor.onnx"), role=ROLE, sagemaker_session=session)
    package = model.register(
        content_types=["text/csv"],
        response_types=["application/json"],
        inference_instances=[INSTANCE_TYPE],
        transform_instances=[INSTANCE_TYPE],
        model_package_group_name=group,
        approval_status="Approved",
    )
    described = session.sagemaker_client.describe_model_package(ModelPackageName=package.model_package_arn)
    assert described["ModelPackageGroupName"] == group
    assert described["ModelApprovalStatus"] == "Approved"

    name = unique("sdk-pkg")
    package.deploy(initial_instance_count=1, instance_type=INSTANCE_TYPE, endpoint_name=name)
    predictor = Predictor(name, session, serializer=CSVSerializer(), deserializer=JSONDeserializer())
    answer = predictor.predict(expected["inputs"])
    np.testing.assert_allclose(answer["predictions"], expected["models"]["regressor.onnx"]["score"], rtol=1e-6)


def test_update_data_capture_config(endpoint, session):
    endpoint["predictor"].update_data_capture_config(
        data_capture_config=DataCaptureConfig(
            enable_capture=True, sampling_percentage=50, destination_s3_uri=endpoint["capture_uri"]
        )
    )
    described = session.sagemaker_client.describe_endpoint(EndpointName=endpoint["name"])
    assert described["EndpointStatus"] == "InService"
    assert described["DataCaptureConfig"]["CurrentSamplingPercentage"] == 50


# The monitored data: four integral features; the baseline dataset has every one of them.
FEATURES = ["f0", "f1", "f2", "f3"]


def dataset(rows, seed):
    return np.random.default_rng(seed).integers(0, 10, size=(rows, len(FEATURES)))


def put_dataset(s3, platform, key, values):
    body = io.StringIO()
    np.savetxt(body, values, fmt="%d", delimiter=",", header=",".join(FEATURES), comments="")
    s3.put_object(Bucket=platform["bucket"], Key=key, Body=body.getvalue().encode())
    return f"s3://{platform['bucket']}/{key}"


def test_suggest_baseline(session, s3, platform):
    values = dataset(500, seed=7)
    name = unique("sdk-baseline")
    uri = put_dataset(s3, platform, f"sdk-suite/datasets/{name}/train.csv", values)
    monitor = DefaultModelMonitor(
        role=ROLE, instance_count=1, instance_type="ml.m5.xlarge", sagemaker_session=session, max_runtime_in_seconds=1800
    )
    monitor.suggest_baseline(
        baseline_dataset=uri,
        dataset_format=DatasetFormat.csv(header=True),
        output_s3_uri=f"s3://{platform['bucket']}/sdk-suite/baselines/{name}",
        job_name=name,
        wait=True,
        logs=False,
    )
    statistics = {f["name"]: f for f in monitor.baseline_statistics().body_dict["features"]}
    assert list(statistics) == FEATURES
    for i, feature in enumerate(FEATURES):
        numbers = statistics[feature]["numerical_statistics"]
        assert numbers["common"]["num_present"] == len(values)
        assert numbers["mean"] == pytest.approx(values[:, i].mean(), rel=1e-9)
        assert numbers["min"] == values[:, i].min() and numbers["max"] == values[:, i].max()
    constraints = {f["name"]: f for f in monitor.suggested_constraints().body_dict["features"]}
    assert {f: constraints[f]["inferred_type"] for f in FEATURES} == {f: "Integral" for f in FEATURES}


@pytest.fixture(scope="module")
def monitored(session, upload, platform, s3, understudy, run_monitor):
    """An endpoint with capture and an hourly schedule over its traffic, which lacks `f3`, run
    once by firing the monitor's tick (the local trigger) at the end of the captures' hour."""
    name = unique("sdk-mon")
    # row-sum takes any number of features per row, so the traffic can leave f3 out.
    _, predictor = deploy(session, upload("row-sum.onnx"), name, f"s3://{platform['bucket']}/sdk-suite/captures/{name}")
    # The baseline by Understudy's own operation, so this flow does not wait on CreateProcessingJob.
    baseline = understudy(
        "SuggestBaseline",
        {
            "DatasetS3Uri": put_dataset(s3, platform, f"sdk-suite/datasets/{name}/train.csv", dataset(500, seed=8)),
            "DatasetFormat": {"Csv": {"Header": True}},
            "OutputS3Uri": f"s3://{platform['bucket']}/sdk-suite/baselines/{name}",
        },
    )
    predictor.serializer = CSVSerializer()
    traffic = dataset(30, seed=9)[:, :3]
    for start in range(0, len(traffic), 10):
        predictor.predict(traffic[start : start + 10].tolist())
    prefix = f"sdk-suite/captures/{name}/{name}/"

    def captured():
        """{hour the file is filed under: rows captured in it}, once all three requests are in."""
        rows, records = {}, 0
        for o in s3.list_objects_v2(Bucket=platform["bucket"], Prefix=prefix).get("Contents", []):
            hour = "/".join(o["Key"].split("/")[-5:-1])
            for line in s3.get_object(Bucket=platform["bucket"], Key=o["Key"])["Body"].read().decode().splitlines():
                records += 1
                body = json.loads(line)["captureData"]["endpointInput"]["data"]
                rows[hour] = rows.get(hour, 0) + len(body.splitlines())
        return rows if records >= 3 else None

    rows = eventually(captured, timeout=120)
    monitor = DefaultModelMonitor(
        role=ROLE, instance_count=1, instance_type="ml.m5.xlarge", sagemaker_session=session, max_runtime_in_seconds=1800
    )
    schedule = unique("sdk-schedule")
    monitor.create_monitoring_schedule(
        monitor_schedule_name=schedule,
        endpoint_input=name,
        output_s3_uri=f"s3://{platform['bucket']}/sdk-suite/reports/{name}",
        statistics=baseline["StatisticsS3Uri"],
        constraints=baseline["ConstraintsS3Uri"],
        schedule_cron_expression=CronExpressionGenerator.hourly(),
        enable_cloudwatch_metrics=True,
    )
    # The hour the captures are filed under (…/yyyy/mm/dd/hh/…): the tick just after it analyses
    # exactly that hour, whenever this runs (a request at hh:59:59 included).
    hour = max(rows)
    at = datetime.datetime.strptime(hour, "%Y/%m/%d/%H").replace(tzinfo=datetime.timezone.utc)
    fired = run_monitor(at + datetime.timedelta(hours=1, seconds=30))
    return {"monitor": monitor, "schedule": schedule, "fired": fired, "rows": rows[hour]}


def assert_f3_missing(violations):
    """Every captured row lacks f3, a column of the baseline: SageMaker's `missing_column_check`
    ("fewer columns in the analysis dataset than in the baseline", its guide's words)."""
    flagged = {(v["feature_name"], v["constraint_check_type"]) for v in violations.body_dict["violations"]}
    assert ("f3", "missing_column_check") in flagged, flagged


def test_create_monitoring_schedule_and_read_its_execution(monitored):
    monitor = monitored["monitor"]
    assert monitor.describe_schedule()["MonitoringScheduleStatus"] == "Scheduled"
    executions = monitor.list_executions()
    assert len(executions) == 1, monitored["fired"]
    described = executions[-1].describe()
    assert described["ProcessingJobStatus"] == "Completed"
    assert described["ExitMessage"].startswith("CompletedWithViolations"), described["ExitMessage"]
    assert_f3_missing(monitor.latest_monitoring_constraint_violations())
    statistics = {f["name"]: f for f in monitor.latest_monitoring_statistics().body_dict["features"]}
    assert statistics["f0"]["numerical_statistics"]["common"]["num_present"] == monitored["rows"]


def test_attach_reads_the_latest_violations(monitored, session):
    attached = DefaultModelMonitor.attach(monitored["schedule"], sagemaker_session=session)
    assert attached.monitoring_schedule_name == monitored["schedule"]
    assert_f3_missing(attached.latest_monitoring_constraint_violations())
