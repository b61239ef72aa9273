"""The SageMaker Python SDK v2's `sagemaker.lineage` classes against Understudy (issue 11 part 4):
manual entities and associations, LineageQuery, and the traversals the SDK offers over the
lineage Understudy records on its own (endpoint context -> deployment -> package -> dataset)."""
from sagemaker.lineage.action import Action
from sagemaker.lineage.artifact import Artifact, DatasetArtifact, ModelArtifact
from sagemaker.lineage.association import Association
from sagemaker.lineage.context import Context, EndpointContext
from sagemaker.lineage.query import LineageEntityEnum, LineageFilter, LineageQuery, LineageQueryDirectionEnum

from conftest import ROLE, unique


def test_manual_entities_associations_and_query(session):
    name = unique("lineage")
    data = Artifact.create(
        artifact_name=f"{name}-data", source_uri=f"s3://{name}/train.csv", artifact_type="DataSet", sagemaker_session=session
    )
    job = Action.create(
        action_name=f"{name}-train", source_uri=f"s3://{name}/job", action_type="TrainingJob", sagemaker_session=session
    )
    group = Context.create(
        context_name=f"{name}-ctx", source_uri=f"s3://{name}/ctx", context_type="Project", sagemaker_session=session
    )
    Association.create(data.artifact_arn, job.action_arn, association_type="ContributedTo", sagemaker_session=session)
    Association.create(job.action_arn, group.context_arn, association_type="Produced", sagemaker_session=session)

    assert Artifact.load(data.artifact_arn, sagemaker_session=session).source.source_uri == f"s3://{name}/train.csv"
    assert [a.artifact_arn for a in Artifact.list(source_uri=f"s3://{name}/train.csv", sagemaker_session=session)] == [
        data.artifact_arn
    ]
    assert [a.destination_arn for a in Association.list(source_arn=data.artifact_arn, sagemaker_session=session)] == [
        job.action_arn
    ]

    result = LineageQuery(session).query(
        start_arns=[group.context_arn],
        direction=LineageQueryDirectionEnum.ASCENDANTS,
        include_edges=True,
        query_filter=LineageFilter(entities=[LineageEntityEnum.ARTIFACT]),
    )
    assert [v.arn for v in result.vertices] == [data.artifact_arn]
    assert {(e.source_arn, e.destination_arn, e.association_type) for e in result.edges} == {
        (data.artifact_arn, job.action_arn, "ContributedTo"),
        (job.action_arn, group.context_arn, "Produced"),
    }
    # Edges is answered (empty) even when not asked for: the SDK reads it unconditionally.
    assert LineageQuery(session).query(start_arns=[group.context_arn], include_edges=False).edges == []


def test_traversals_over_recorded_lineage(session, upload):
    name = unique("lineage")
    client = session.sagemaker_client
    client.create_model_package_group(ModelPackageGroupName=name)
    package = client.create_model_package(
        ModelPackageGroupName=name,
        InferenceSpecification={
            "Containers": [{"Image": "onnx", "ModelDataUrl": upload("regressor.onnx")}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["application/json"],
        },
        ModelApprovalStatus="Approved",
        CustomerMetadataProperties={"TrainingDataS3Uri": f"s3://{name}/train.csv"},
    )["ModelPackageArn"]
    client.create_model(
        ModelName=name, PrimaryContainer={"ModelPackageName": package}, ExecutionRoleArn=ROLE
    )
    client.create_endpoint_config(
        EndpointConfigName=name, ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": name}]
    )
    endpoint_arn = client.create_endpoint(EndpointName=name, EndpointConfigName=name)["EndpointArn"]

    [endpoint] = [c for c in Context.list(sagemaker_session=session, context_type="Endpoint") if c.source.source_uri == endpoint_arn]
    context = EndpointContext.load(endpoint.context_name, sagemaker_session=session)
    datasets = context.dataset_artifacts()
    assert [d.source.source_uri for d in datasets] == [f"s3://{name}/train.csv"]

    [dataset] = list(Artifact.list(source_uri=f"s3://{name}/train.csv", sagemaker_session=session))
    downstream = DatasetArtifact.load(dataset.artifact_arn, sagemaker_session=session).downstream_datasets()
    assert downstream == []

    model_uri = client.describe_model_package(ModelPackageName=package)["InferenceSpecification"]["Containers"][0][
        "ModelDataUrl"
    ]
    [model] = list(Artifact.list(source_uri=model_uri, sagemaker_session=session))
    contexts = ModelArtifact.load(model.artifact_arn, sagemaker_session=session).endpoint_contexts()
    assert [c.context_arn for c in contexts] == [context.context_arn]
    client.delete_endpoint(EndpointName=name)
