import { Validations } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as integrations from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface ApiProps {
  /** Serves SageMaker Runtime InvokeEndpoint (`POST /endpoints/{EndpointName}/invocations`). */
  readonly invokeFunction: lambda.IFunction;
  /** Serves the SageMaker JSON 1.1 control plane (`POST /`) and the console (`GET /console`, `GET /console/report`). */
  readonly controlFunction: lambda.IFunction;
}

/**
 * The HTTPS API. Data plane and control plane are separate functions behind separate
 * routes so the inference path loads only what it needs and holds only its own grants.
 */
export class Api extends Construct {
  readonly httpApi: apigwv2.HttpApi;
  /** One JSON line per request: who (source IP), what (route), the answer and its latency. */
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      description: 'Understudy: SageMaker-compatible API',
      createDefaultStage: true,
    });
    this.httpApi.addRoutes({
      path: '/endpoints/{EndpointName}/invocations',
      methods: [apigwv2.HttpMethod.POST],
      integration: new integrations.HttpLambdaIntegration('Invoke', props.invokeFunction, {
        payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
      }),
    });
    const control = new integrations.HttpLambdaIntegration('Control', props.controlFunction, {
      payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
    });
    this.httpApi.addRoutes({ path: '/', methods: [apigwv2.HttpMethod.POST], integration: control });
    // The console (HTML, opened from a presigned URL `understudy console` prints) and its reports.
    for (const path of ['/console', '/console/report']) {
      this.httpApi.addRoutes({ path, methods: [apigwv2.HttpMethod.GET], integration: control });
    }
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.THREE_MONTHS });
    const stage = this.httpApi.defaultStage?.node.defaultChild as apigwv2.CfnStage | undefined;
    if (!stage) throw new Error('the HTTP API has no default stage to log');
    stage.accessLogSettings = {
      destinationArn: this.accessLogs.logGroupArn,
      format: JSON.stringify({
        requestId: '$context.requestId',
        ip: '$context.identity.sourceIp',
        requestTime: '$context.requestTime',
        routeKey: '$context.routeKey',
        status: '$context.status',
        responseLength: '$context.responseLength',
        integrationLatency: '$context.integrationLatency',
      }),
    };
    for (const route of this.httpApi.node.findAll().filter((c) => c instanceof apigwv2.HttpRoute)) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Every request is authenticated in the function: AWS Signature V4 verified against ' +
          "Understudy's own access keys, then the key's role checked per operation (lambdas/domain/auth/). " +
          'API Gateway IAM authorization would need IAM principals, which Understudy keys are not.',
      });
    }
  }

  get url(): string {
    // The default stage's URL ends with '/'; clients want the bare base.
    return this.httpApi.apiEndpoint;
  }
}
