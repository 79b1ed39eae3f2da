import { SQSClient } from '@aws-sdk/client-sqs';
import { config } from '#config';

let client: SQSClient | undefined;

/** The one SQS client of an execution environment (the local stack points it at the SQS stand-in). */
export function sqs(): SQSClient {
  if (!client) {
    const { AWS_REGION, SQS_ENDPOINT } = config();
    client = new SQSClient({ region: AWS_REGION, ...(SQS_ENDPOINT ? { endpoint: SQS_ENDPOINT } : {}) });
  }
  return client;
}
