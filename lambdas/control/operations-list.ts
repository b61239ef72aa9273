/** SageMaker operations the control plane implements (their input shapes are validated). */
export const IMPLEMENTED_OPERATIONS = [
  'CreateModelPackageGroup',
  'DescribeModelPackageGroup',
  'ListModelPackageGroups',
  'DeleteModelPackageGroup',
  'DeleteModelPackage',
  'CreateModelPackage',
  'DescribeModelPackage',
  'ListModelPackages',
  'UpdateModelPackage',
  'CreateModel',
  'DescribeModel',
  'ListModels',
  'DeleteModel',
  'CreateEndpointConfig',
  'DescribeEndpointConfig',
  'ListEndpointConfigs',
  'DeleteEndpointConfig',
  'CreateEndpoint',
  'DescribeEndpoint',
  'ListEndpoints',
  'DeleteEndpoint',
] as const;

export type OperationName = (typeof IMPLEMENTED_OPERATIONS)[number];
