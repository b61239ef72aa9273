"""Model-quality monitoring with the SageMaker Python SDK v2's ModelQualityMonitor, as its
documentation writes the flow (issue 12): a binary classifier deployed with data capture,
invocations with inference ids, suggest_baseline on a labelled CSV of predictions, labels for 80%
of the invocations uploaded late as SageMaker's ground-truth JSONL (one corrected by a later
file), a one-time (NOW) schedule, then the execution's statistics, violations, alert and metric.
Every expected value is scikit-learn's, computed here from the endpoint's own answers."""
import datetime
import io
import json

import numpy as np
import pytest
from sagemaker.deserializers import JSONDeserializer
from sagemaker.model import Model
from sagemaker.model_monitor import (
    CronExpressionGenerator,
    DataCaptureConfig,
    DatasetFormat,
    EndpointInput,
    ModelQualityMonitor,
)
from sagemaker.predictor import Predictor
from sagemaker.serializers import CSVSerializer
from sklearn import metrics as sk

from conftest import INSTANCE_TYPE, MODELS, ROLE, eventually, unique

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/onnx-serving:latest"
INVOCATIONS = 40
LABELLED = int(INVOCATIONS * 0.8)


def binary_metrics(actual, predicted, probability):
    """scikit-learn's values for the metrics SageMaker's model-quality statistics carry."""
    return {
        "accuracy": sk.accuracy_score(actual, predicted),
        "precision": sk.precision_score(actual, predicted, zero_division=0),
        "recall": sk.recall_score(actual, predicted, zero_division=0),
        "f1": sk.f1_score(actual, predicted, zero_division=0),
        "auc": sk.roc_auc_score(actual, probability),
    }


def confusion(actual, predicted):
    """SageMaker's layout: outer key the true label, inner the predicted one."""
    m = sk.confusion_matrix(actual, predicted, labels=[0, 1])
    return {str(t): {str(p): int(m[t][p]) for p in (0, 1)} for t in (0, 1)}


def ground_truth_line(inference_id, label):
    return json.dumps(
        {
            "groundTruthData": {"data": str(label), "encoding": "CSV"},
            "eventMetadata": {"eventId": inference_id},
            "eventVersion": "0",
        }
    )


@pytest.fixture(scope="module")
def quality(session, upload, platform, s3, boto_session):
    bucket = platform["bucket"]
    name = unique("sdk-mq")
    model = Model(
        image_uri=IMAGE,
        model_data=upload("classifier-logreg-sharper.onnx"),
        role=ROLE,
        sagemaker_session=session,
        name=name,
        predictor_cls=Predictor,
    )
    predictor = model.deploy(
        initial_instance_count=1,
        instance_type=INSTANCE_TYPE,
        endpoint_name=name,
        data_capture_config=DataCaptureConfig(
            enable_capture=True, sampling_percentage=100, destination_s3_uri=f"s3://{bucket}/sdk-suite/captures/{name}"
        ),
        serializer=CSVSerializer(),
        deserializer=JSONDeserializer(),
    )
    rows = json.loads((MODELS / "classifiers.json").read_text())["pairs"]["agree"]["rows"][:INVOCATIONS]
    answers = [predictor.predict([row], inference_id=f"{name}-{i}") for i, row in enumerate(rows)]
    predicted = np.array([a["outputs"]["label"][0] for a in answers])
    probability = np.array([a["outputs"]["probabilities"][0][1] for a in answers])

    # The truth: the model's label, wrong for about a third of the invocations.
    rng = np.random.default_rng(12)
    truth = np.where(rng.random(INVOCATIONS) < 0.35, 1 - predicted, predicted)

    # A baseline of labelled predictions where the model was right 90% of the time.
    base_probability = np.round(rng.random(300), 4)
    base_predicted = (base_probability >= 0.5).astype(int)
    base_truth = np.where(rng.random(300) < 0.1, 1 - base_predicted, base_predicted)
    body = io.StringIO()
    np.savetxt(
        body,
        np.column_stack([base_predicted, base_probability, base_truth]),
        fmt=["%d", "%.4f", "%d"],
        delimiter=",",
        header="prediction,probability,label",
        comments="",
    )
    s3.put_object(Bucket=bucket, Key=f"sdk-suite/datasets/{name}/predictions.csv", Body=body.getvalue().encode())
    monitor = ModelQualityMonitor(
        role=ROLE, instance_count=1, instance_type="ml.m5.xlarge", sagemaker_session=session, max_runtime_in_seconds=1800
    )
    monitor.suggest_baseline(
        baseline_dataset=f"s3://{bucket}/sdk-suite/datasets/{name}/predictions.csv",
        dataset_format=DatasetFormat.csv(header=True),
        problem_type="BinaryClassification",
        inference_attribute="prediction",
        probability_attribute="probability",
        ground_truth_attribute="label",
        output_s3_uri=f"s3://{bucket}/sdk-suite/baselines/{name}",
        job_name=f"{name}-baseline",
        wait=True,
        logs=False,
    )

    def captured():
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"sdk-suite/captures/{name}/").get("Contents", [])
        lines = sum(
            len(s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read().decode().splitlines()) for o in listed
        )
        return lines >= INVOCATIONS

    eventually(captured, timeout=120)

    # Labels arrive late, filed by the hour they were collected; the first is sent wrong and
    # corrected by a later file (files are read in key order: the last label wins).
    now = datetime.datetime.now(datetime.timezone.utc)
    prefix = f"sdk-suite/ground-truth/{name}"
    hour = f"{prefix}/{name}/{now:%Y/%m/%d/%H}"
    first = [ground_truth_line(f"{name}-{i}", int(truth[i])) for i in range(LABELLED)]
    first[0] = ground_truth_line(f"{name}-0", int(1 - truth[0]))
    s3.put_object(Bucket=bucket, Key=f"{hour}/{now:%M-%S}-labels.jsonl", Body="\n".join(first).encode())
    s3.put_object(
        Bucket=bucket, Key=f"{hour}/{now:%M-%S}-relabelled.jsonl", Body=ground_truth_line(f"{name}-0", int(truth[0]))
    )

    # Where the alert goes: an SQS queue on the alerts topic, and one behind an EventBridge rule.
    sqs = boto_session.client("sqs", endpoint_url=platform["s3"])
    queues = {}
    for kind in ("sns", "events"):
        url = sqs.create_queue(QueueName=f"{name}-{kind}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        queues[kind] = {"url": url, "arn": arn}
    boto_session.client("sns", endpoint_url=platform["s3"]).subscribe(
        TopicArn=platform["alerts_topic"],
        Protocol="sqs",
        Endpoint=queues["sns"]["arn"],
        Attributes={"RawMessageDelivery": "true"},
    )
    events = boto_session.client("events", endpoint_url=platform["s3"])
    events.put_rule(
        Name=f"{name}-violations",
        EventPattern=json.dumps(
            {"source": ["understudy.monitoring"], "detail": {"endpointName": [name]}}
        ),
    )
    events.put_targets(Rule=f"{name}-violations", Targets=[{"Id": "queue", "Arn": queues["events"]["arn"]}])

    schedule = unique("sdk-mq-schedule")
    monitor.create_monitoring_schedule(
        monitor_schedule_name=schedule,
        endpoint_input=EndpointInput(
            endpoint_name=name,
            destination="/opt/ml/processing/input_data",
            inference_attribute="$.outputs.label",
            probability_attribute="$.outputs.probabilities[0][1]",
        ),
        ground_truth_input=f"s3://{bucket}/{prefix}",
        problem_type="BinaryClassification",
        output_s3_uri=f"s3://{bucket}/sdk-suite/reports/{name}",
        constraints=monitor.suggested_constraints(),
        schedule_cron_expression=CronExpressionGenerator.now(),
        data_analysis_start_time="-PT1H",
        data_analysis_end_time="-PT0H",
        enable_cloudwatch_metrics=True,
    )

    def finished():
        executions = monitor.list_executions()
        return executions and executions[-1].describe()["ProcessingJobStatus"] in ("Completed", "Failed")

    eventually(finished, timeout=120)
    labelled = slice(0, LABELLED)
    return {
        "name": name,
        "monitor": monitor,
        "schedule": schedule,
        "sqs": sqs,
        "queues": queues,
        "actual": truth[labelled],
        "predicted": predicted[labelled],
        "probability": probability[labelled],
        "baseline": {"actual": base_truth, "predicted": base_predicted, "probability": base_probability},
        "cloudwatch": boto_session.client("cloudwatch", endpoint_url=platform["s3"]),
        "s3": s3,
    }


def s3_location(uri):
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return {"Bucket": bucket, "Key": key}


def test_suggest_baseline_scores_the_dataset_as_scikit_learn(quality):
    monitor, base = quality["monitor"], quality["baseline"]
    statistics = monitor.baseline_statistics().body_dict
    assert statistics["dataset"]["item_count"] == 300
    got = statistics["binary_classification_metrics"]
    assert got["confusion_matrix"] == confusion(base["actual"], base["predicted"])
    for metric, value in binary_metrics(base["actual"], base["predicted"], base["probability"]).items():
        assert got[metric]["value"] == pytest.approx(value, abs=1e-12), metric
    constraints = monitor.suggested_constraints().body_dict["binary_classification_constraints"]
    assert constraints["accuracy"] == {"threshold": got["accuracy"]["value"], "comparison_operator": "LessThanThreshold"}
    assert constraints["false_positive_rate"]["comparison_operator"] == "GreaterThanThreshold"


def test_execution_statistics_equal_scikit_learn_on_the_labelled_80_percent(quality):
    monitor = quality["monitor"]
    described = monitor.list_executions()[-1].describe()
    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    # 32 of 40 labelled, 8 not yet; the corrected label replaced one.
    assert f"Ground truth: {LABELLED} labelled, {INVOCATIONS - LABELLED} unlabelled captures" in described["ExitMessage"]
    assert "1 replaced labels" in described["ExitMessage"]
    statistics = monitor.latest_monitoring_statistics().body_dict
    assert statistics["dataset"]["item_count"] == LABELLED
    got = statistics["binary_classification_metrics"]
    assert got["confusion_matrix"] == confusion(quality["actual"], quality["predicted"])
    expected = binary_metrics(quality["actual"], quality["predicted"], quality["probability"])
    for metric, value in expected.items():
        # The probabilities pass through float32 ONNX outputs and JSON: AUC's ranking is exact.
        assert got[metric]["value"] == pytest.approx(value, abs=1e-12), metric
    # The report beside the statistics, where the execution's output says.
    report = quality["s3"].get_object(**s3_location(f"{monitor.list_executions()[-1].output.destination}/report.html"))
    html = report["Body"].read().decode()
    assert "Confusion matrix" in html and "ROC curve" in html and "<script" not in html


def test_a_failed_constraint_gives_a_violation_an_alert_and_a_metric(quality):
    monitor, name = quality["monitor"], quality["name"]
    violations = monitor.latest_monitoring_constraint_violations().body_dict["violations"]
    by_metric = {v["metric_name"]: v for v in violations}
    assert by_metric["accuracy"]["constraint_check_type"] == "LessThanThreshold"
    assert by_metric["accuracy"]["description"].startswith("Metric accuracy with ")
    assert set(by_metric["accuracy"]) == {"metric_name", "constraint_check_type", "description"}

    def received(kind):
        sqs, url = quality["sqs"], quality["queues"][kind]["url"]
        return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=1).get("Messages")

    message = eventually(lambda: received("sns"), timeout=30)[0]["Body"]
    assert f"found {len(violations)} violation(s) on endpoint {name}" in message
    event = json.loads(eventually(lambda: received("events"), timeout=30)[0]["Body"])
    assert event["detail"]["monitoringScheduleName"] == quality["schedule"]
    assert "accuracy" in [f["feature"] for f in event["detail"]["features"]]

    accuracy = sk.accuracy_score(quality["actual"], quality["predicted"])
    cloudwatch = quality["cloudwatch"]
    listed = cloudwatch.list_metrics(
        Namespace="aws/sagemaker/Endpoints/model-metrics", Dimensions=[{"Name": "Endpoint", "Value": name}]
    )["Metrics"]
    assert "accuracy" in {m["MetricName"] for m in listed}
    now = datetime.datetime.now(datetime.timezone.utc)
    points = cloudwatch.get_metric_statistics(
        Namespace="aws/sagemaker/Endpoints/model-metrics",
        MetricName="accuracy",
        Dimensions=[{"Name": "Endpoint", "Value": name}, {"Name": "MonitoringSchedule", "Value": quality["schedule"]}],
        StartTime=now - datetime.timedelta(hours=2),
        EndTime=now + datetime.timedelta(minutes=5),
        Period=3600,
        Statistics=["Maximum"],
    )["Datapoints"]
    assert [p["Maximum"] for p in points] == [pytest.approx(accuracy, abs=1e-12)]
