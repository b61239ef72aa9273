"""Training with the SageMaker Python SDK v2 as a notebook for SageMaker's built-in
linear-learner and XGBoost write it (issue 13): `Estimator(image_uri=image_uris.retrieve(...))`,
`set_hyperparameters`, `fit` on S3 CSV channels, `deploy` and `predict`, `register`.

The endpoint's answers are checked against what does not come from Understudy: the
validation labels of the committed split (test/fixtures/training/synthetic-*.csv), NumPy's
accuracy and rank AUC over the answered probabilities, and scikit-learn's LogisticRegression
on the same split (reference.json, written by scripts/fixtures/training-reference.py)."""
import json
import pathlib

import numpy as np
import pytest
import sagemaker
import sagemaker.session
from sagemaker.deserializers import JSONDeserializer
from sagemaker.estimator import Estimator
from sagemaker.inputs import TrainingInput
from sagemaker.serializers import CSVSerializer

from conftest import INSTANCE_TYPE, ROLE, unique

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "test" / "fixtures" / "training"
REFERENCE = json.loads((FIXTURES / "reference.json").read_text())["synthetic"]
# The unit test's settings for this split (test/unit/training-linear-learner.test.ts).
HYPERPARAMETERS = {"predictor_type": "binary_classifier", "epochs": 30, "mini_batch_size": 100, "wd": 0.001}


@pytest.fixture(scope="module", autouse=True)
def fast_training_polling():
    """`fit()` waits through `_wait_until_training_done`, which sleeps its poll (5 s) before each
    DescribeTrainingJob; conftest's fast_polling patches only `_wait_until`. Same reason: poll
    every second, since the job ends in a few seconds."""
    original = sagemaker.session._wait_until_training_done
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            sagemaker.session,
            "_wait_until_training_done",
            lambda fn, desc, poll=5: original(fn, desc, min(poll, 1)),
        )
        yield


def csv_rows(name):
    data = np.loadtxt(FIXTURES / f"{name}.csv", delimiter=",")
    return data[:, 0], data[:, 1:]


def rank_auc(labels, scores):
    """The Mann–Whitney AUC (ties counted half), written here rather than taken from the platform."""
    positive, negative = scores[labels == 1], scores[labels == 0]
    greater = (positive[:, None] > negative[None, :]).sum()
    ties = (positive[:, None] == negative[None, :]).sum()
    return (greater + 0.5 * ties) / (len(positive) * len(negative))


@pytest.fixture(scope="module")
def trained(session, s3, platform):
    prefix = f"sdk-suite/{unique('training')}"
    channels = {}
    for channel in ("train", "validation"):
        key = f"{prefix}/{channel}/synthetic-{channel}.csv"
        s3.put_object(Bucket=platform["bucket"], Key=key, Body=(FIXTURES / f"synthetic-{channel}.csv").read_bytes())
        channels[channel] = TrainingInput(f"s3://{platform['bucket']}/{prefix}/{channel}/", content_type="text/csv")
    estimator = Estimator(
        image_uri=sagemaker.image_uris.retrieve("linear-learner", platform["region"]),
        role=ROLE,
        instance_count=1,
        instance_type=INSTANCE_TYPE,
        output_path=f"s3://{platform['bucket']}/{prefix}/output",
        sagemaker_session=session,
    )
    estimator.set_hyperparameters(**HYPERPARAMETERS)
    estimator.fit(channels, logs=False)
    return {"estimator": estimator, "prefix": prefix}


def metrics_of(description):
    return {m["MetricName"]: m["Value"] for m in description["FinalMetricDataList"]}


def test_fit_describes_the_job_as_sagemaker_does(trained, session, platform):
    estimator = trained["estimator"]
    job = estimator.latest_training_job.name
    described = session.sagemaker_client.describe_training_job(TrainingJobName=job)
    assert described["TrainingJobStatus"] == "Completed"
    assert described["SecondaryStatus"] == "Completed"
    assert described["RoleArn"] == ROLE
    assert described["AlgorithmSpecification"]["TrainingImage"] == estimator.image_uri
    assert described["ResourceConfig"]["InstanceType"] == INSTANCE_TYPE
    assert described["ResourceConfig"]["InstanceCount"] == 1
    assert described["HyperParameters"] == {k: str(v) for k, v in HYPERPARAMETERS.items()}
    assert described["TrainingStartTime"] <= described["TrainingEndTime"]
    assert [t["Status"] for t in described["SecondaryStatusTransitions"]] == [
        "Starting",
        "Downloading",
        "Training",
        "Uploading",
        "Completed",
    ]
    artifact = f"s3://{platform['bucket']}/{trained['prefix']}/output/{job}/output/model.tar.gz"
    assert described["ModelArtifacts"]["S3ModelArtifacts"] == artifact
    assert estimator.model_data == artifact
    # The job's own metrics within a point of scikit-learn's LogisticRegression on the same split.
    metrics = metrics_of(described)
    assert abs(metrics["validation:binary_classification_accuracy"] - REFERENCE["validation:accuracy"]) < 0.01
    assert abs(metrics["validation:roc_auc_score"] - REFERENCE["validation:roc_auc_score"]) < 0.01
    listed = session.sagemaker_client.list_training_jobs(NameContains=job)["TrainingJobSummaries"]
    assert [j["TrainingJobName"] for j in listed] == [job]


@pytest.fixture(scope="module")
def predictor(trained):
    predictor = trained["estimator"].deploy(
        initial_instance_count=1,
        instance_type=INSTANCE_TYPE,
        endpoint_name=unique("linear"),
        serializer=CSVSerializer(),
        deserializer=JSONDeserializer(),
    )
    yield predictor
    predictor.delete_endpoint()


def test_deploy_and_predict_csv_answers_the_validation_split(trained, predictor, session):
    labels, features = csv_rows("synthetic-validation")
    answer = predictor.predict(features)
    # SageMaker's linear-learner answer ("Linear learner response formats"): one
    # {"score": P(class 1), "predicted_label": 0 | 1} per row, parsed as a notebook parses it.
    predictions = answer["predictions"]
    assert len(predictions) == len(labels)
    assert all(set(p) == {"score", "predicted_label"} for p in predictions)
    scores = np.array([p["score"] for p in predictions], dtype=float)
    predicted = np.array([p["predicted_label"] for p in predictions], dtype=float)
    np.testing.assert_array_equal(predicted, (scores > 0.5).astype(float))
    # Computed here from the endpoint's answers and the committed labels, then compared with the
    # job's reported metrics (the trainer's in-memory model, not the served ONNX graph).
    accuracy = float((predicted == labels).mean())
    auc = float(rank_auc(labels, scores))
    metrics = metrics_of(session.sagemaker_client.describe_training_job(
        TrainingJobName=trained["estimator"].latest_training_job.name
    ))
    assert accuracy == pytest.approx(metrics["validation:binary_classification_accuracy"], abs=1 / len(labels))
    assert auc == pytest.approx(metrics["validation:roc_auc_score"], abs=1e-4)
    assert abs(accuracy - REFERENCE["validation:accuracy"]) < 0.01


def test_register_into_a_model_package_group_with_metrics(trained, session):
    estimator = trained["estimator"]
    group = unique("linear-group")
    session.sagemaker_client.create_model_package_group(ModelPackageGroupName=group)
    job = estimator.latest_training_job.name
    evaluation = f"{estimator.output_path}/{job}/output/evaluation/metrics.json"
    package = estimator.register(
        content_types=["text/csv"],
        response_types=["application/json"],
        inference_instances=[INSTANCE_TYPE],
        transform_instances=[INSTANCE_TYPE],
        model_package_group_name=group,
        approval_status="Approved",
        model_metrics=sagemaker.model_metrics.ModelMetrics(
            model_statistics=sagemaker.model_metrics.MetricsSource(
                content_type="application/json", s3_uri=evaluation
            )
        ),
    )
    described = session.sagemaker_client.describe_model_package(ModelPackageName=package.model_package_arn)
    assert described["ModelPackageGroupName"] == group
    assert described["ModelApprovalStatus"] == "Approved"
    container = described["InferenceSpecification"]["Containers"][0]
    assert container["Image"] == estimator.image_uri
    assert container["ModelDataUrl"] == estimator.model_data
    assert described["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"] == evaluation
    # The metrics file the job wrote holds the validation metrics DescribeTrainingJob reports.
    report = json.loads(session.read_s3_file(*evaluation[len("s3://"):].split("/", 1)))
    reported = metrics_of(session.sagemaker_client.describe_training_job(TrainingJobName=job))
    assert report["training_metrics"]["binary_classification_accuracy"]["value"] == pytest.approx(
        reported["validation:binary_classification_accuracy"]
    )


# XGBoost as SageMaker's notebooks train it: the 1.7-1 image, CSV channels, target first; the
# settings and XGBoost's own validation AUC on the same split come from
# scripts/fixtures/training-xgboost-reference.py.
XGBOOST_REFERENCE = json.loads((FIXTURES / "xgboost-reference.json").read_text())
XGBOOST_HYPERPARAMETERS = XGBOOST_REFERENCE["hyperparameters"]


@pytest.fixture(scope="module")
def xgboost_trained(session, s3, platform):
    prefix = f"sdk-suite/{unique('xgboost')}"
    channels = {}
    for channel in ("train", "validation"):
        key = f"{prefix}/{channel}/synthetic-{channel}.csv"
        s3.put_object(Bucket=platform["bucket"], Key=key, Body=(FIXTURES / f"synthetic-{channel}.csv").read_bytes())
        channels[channel] = TrainingInput(f"s3://{platform['bucket']}/{prefix}/{channel}/", content_type="text/csv")
    estimator = Estimator(
        image_uri=sagemaker.image_uris.retrieve("xgboost", platform["region"], "1.7-1"),
        role=ROLE,
        instance_count=1,
        instance_type=INSTANCE_TYPE,
        output_path=f"s3://{platform['bucket']}/{prefix}/output",
        sagemaker_session=session,
    )
    estimator.set_hyperparameters(**XGBOOST_HYPERPARAMETERS)
    estimator.fit(channels, logs=False)
    return estimator


def test_xgboost_fit_deploy_predict_csv_and_register(xgboost_trained, session):
    estimator = xgboost_trained
    job = estimator.latest_training_job.name
    metrics = metrics_of(session.sagemaker_client.describe_training_job(TrainingJobName=job))
    assert abs(metrics["validation:auc"] - XGBOOST_REFERENCE["validation:auc"]) < 0.01
    # The SDK's defaults, as the XGBoost notebooks deploy: CSV in, raw bytes back (Accept */*).
    predictor = estimator.deploy(
        initial_instance_count=1,
        instance_type=INSTANCE_TYPE,
        endpoint_name=unique("xgboost"),
        serializer=CSVSerializer(),
    )
    try:
        labels, features = csv_rows("synthetic-validation")
        body = predictor.predict(features).decode("utf-8")
        # The XGBoost container's CSV answer: one probability of class 1 a line.
        lines = body.splitlines()
        assert len(lines) == len(labels) and body.endswith("\n")
        scores = np.array(lines, dtype=float)
        assert ((0 <= scores) & (scores <= 1)).all()
        assert float(rank_auc(labels, scores)) == pytest.approx(metrics["validation:auc"], abs=1e-4)
        answer = json.loads(predictor.predict(features[:3], initial_args={"Accept": "application/json"}))
        np.testing.assert_allclose([p["score"] for p in answer["predictions"]], scores[:3], rtol=1e-6)
    finally:
        predictor.delete_endpoint()
    group = unique("xgboost-group")
    session.sagemaker_client.create_model_package_group(ModelPackageGroupName=group)
    package = estimator.register(
        content_types=["text/csv"],
        response_types=["text/csv"],
        inference_instances=[INSTANCE_TYPE],
        transform_instances=[INSTANCE_TYPE],
        model_package_group_name=group,
    )
    described = session.sagemaker_client.describe_model_package(ModelPackageName=package.model_package_arn)
    container = described["InferenceSpecification"]["Containers"][0]
    assert (container["Image"], container["ModelDataUrl"]) == (estimator.image_uri, estimator.model_data)
