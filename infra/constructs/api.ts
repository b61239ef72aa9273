import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as integrations from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface ApiProps {
  /** Serves SageMaker Runtime InvokeEndpoint (`POST /endpoints/{EndpointName}/invocations`). */
  readonly invokeFunction: lambda.IFunction;
  /** Serves the SageMaker JSON 1.1 control plane (`POST /`). */
  readonly controlFunction: lambda.IFunction;
}

/**
 * The HTTPS API. Data plane and control plane are separate functions behind separate
 * routes so the inference path loads only what it needs and holds only its own grants.
 */
export class Api extends Construct {
  readonly httpApi: apigwv2.HttpApi;

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
    this.httpApi.addRoutes({
      path: '/',
      methods: [apigwv2.HttpMethod.POST],
      integration: new integrations.HttpLambdaIntegration('Control', props.controlFunction, {
        payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
      }),
    });
  }

  get url(): string {
    // The default stage's URL ends with '/'; clients want the bare base.
    return this.httpApi.apiEndpoint;
  }
}
