"""Training with the SageMaker Python SDK v2 as a notebook for SageMaker's built-in
linear-learner writes it (issue 13): `Estimator(image_uri=image_uris.retrieve(...))`,
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
    # Understudy's JSON answer: the ONNX graph's outputs by name (test/sdk/README.md says how
    # this differs from SageMaker's linear-learner container).
    probabilities = np.array(answer["outputs"]["probabilities"], dtype=float)
    predicted = np.array(answer["outputs"]["label"], dtype=float)
    assert probabilities.shape == (len(labels), 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    np.testing.assert_array_equal(predicted, probabilities.argmax(axis=1))
    # Computed here from the endpoint's answers and the committed labels, then compared with the
    # job's reported metrics (the trainer's in-memory model, not the served ONNX graph).
    accuracy = float((predicted == labels).mean())
    auc = float(rank_auc(labels, probabilities[:, 1]))
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
