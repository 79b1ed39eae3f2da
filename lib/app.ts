import { App, type AppProps, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PayoutsStack, type PayoutsStackProps } from './payouts-stack.ts';
import { loadStageConfig, type StageConfig } from './stage-config.ts';

export interface CreateAppOptions extends AppProps {
  /** Overrides of the route/job tables, for tests. */
  readonly routes?: PayoutsStackProps['routes'];
  readonly jobs?: PayoutsStackProps['jobs'];
}

export interface PayoutsApp {
  readonly app: App;
  readonly stack: PayoutsStack;
  readonly config: StageConfig;
}

/**
 * The CDK app as `npx cdk synth` builds it (bin/app.ts) and as the infra tests build it: stage config from
 * context, one stack per stage, cdk-nag AwsSolutions checks as a validation plugin (cdk-nag 3).
 */
export function createApp(options: CreateAppOptions = {}): PayoutsApp {
  const { routes, jobs, ...appProps } = options;
  const app = new App(appProps);
  const config = loadStageConfig(app.node);
  const stack = new PayoutsStack(app, `ConnectPayouts-${config.stage}`, {
    config,
    ...(routes ? { routes } : {}),
    ...(jobs ? { jobs } : {}),
    description: `connect-payouts (${config.stage}): Stripe Connect Express payouts API`,
    // A stack that keeps data (prod) cannot be deleted by a stray `cdk destroy`.
    terminationProtection: config.retainData,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  Tags.of(app).add('project', 'connect-payouts');
  Tags.of(app).add('stage', config.stage);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, config };
}
