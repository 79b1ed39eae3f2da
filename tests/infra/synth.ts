import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type App, NestedStack, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { type CreateAppOptions, createApp } from '#infra/app';
import type { PayoutsStack } from '#infra/payouts-stack';
import type { StageConfig } from '#infra/stage-config';

/** One finding of a validation plugin (cdk-nag) as written to validation-report.json. */
export interface NagFinding {
  readonly ruleName: string;
  readonly severity: string;
  readonly description: string;
  readonly constructPaths: string[];
}

export interface Synthesized {
  readonly app: App;
  readonly stack: PayoutsStack;
  readonly config: StageConfig;
  readonly assembly: CloudAssembly;
  readonly template: Template;
  /** Unacknowledged cdk-nag findings (acknowledged ones never reach the report). */
  readonly nag: NagFinding[];
  /** Findings of CDK's built-in CloudFormation template validation (property patterns, types). */
  readonly cfnValidation: NagFinding[];
}

/**
 * Synthesizes the app exactly as `npx cdk synth` does (createApp: stage config from context + cdk-nag plugin) into
 * a temporary cloud assembly. Synthesis is told not to throw on validation errors so a test can list them instead
 * of getting one opaque exception.
 */
export function synth(
  context: Record<string, unknown>,
  { bundle = true, ...options }: Omit<CreateAppOptions, 'context' | 'outdir'> & { bundle?: boolean } = {},
): Synthesized {
  const outdir = mkdtempSync(path.join(tmpdir(), 'connect-payouts-cdk-'));
  const { app, stack, config } = createApp({
    ...options,
    outdir,
    context: {
      '@aws-cdk/core:failSynthOnValidationErrors': false,
      // Files that do not look at the bundles skip esbuild (CDK stages a placeholder asset): the template is the same.
      ...(bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...context,
    },
  });
  const assembly = app.synth();
  return {
    app,
    stack,
    config,
    assembly,
    template: flattenedTemplate(stack),
    nag: readNagFindings(assembly.directory),
    cfnValidation: readNagFindings(assembly.directory, (name) => name === 'CloudFormation Validate'),
  };
}

export function readNagFindings(
  assemblyDirectory: string,
  plugin: (pluginName: string) => boolean = (name) => name.startsWith('AwsSolutions'),
): NagFinding[] {
  const report = JSON.parse(readFileSync(path.join(assemblyDirectory, 'validation-report.json'), 'utf8')) as {
    pluginReports: {
      pluginName: string;
      violations: {
        ruleName: string;
        severity: string;
        description: string;
        violatingConstructs: { constructPath: string }[];
      }[];
    }[];
  };
  return report.pluginReports
    .filter((report) => plugin(report.pluginName))
    .flatMap((report) =>
      report.violations.map((violation) => ({
        ruleName: violation.ruleName,
        severity: violation.severity,
        description: violation.description,
        constructPaths: violation.violatingConstructs.map((c) => c.constructPath),
      })),
    );
}

type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; [key: string]: unknown }>;

export function resources(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

export interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource?: unknown;
  readonly Principal?: unknown;
}

/** Every statement of every policy document in the template: IAM policies, inline role policies, resource policies. */
export function allStatements(template: Template): { logicalId: string; statement: Statement }[] {
  const out: { logicalId: string; statement: Statement }[] = [];
  const visit = (logicalId: string, value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(logicalId, item);
    } else if (value && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      if (Array.isArray(record.Statement) && typeof record.Version === 'string') {
        for (const statement of record.Statement as Statement[]) out.push({ logicalId, statement });
      }
      for (const child of Object.values(record)) visit(logicalId, child);
    }
  };
  for (const [logicalId, resource] of Object.entries(template.toJSON().Resources as Resources)) {
    visit(logicalId, resource.Properties);
  }
  return out;
}

export function actions(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

type Json = { [key: string]: unknown };

/**
 * The stack's template with its nested stacks' resources merged in, as if it were one template: a nested stack's
 * parameters are replaced by the expressions the parent passes for them, and the parent's reads of a nested stack's
 * outputs by the outputs' own values. The assertions then speak of functions, roles and alarms wherever the stack
 * defines them (the functions live in nested stacks: CloudFormation allows 500 resources per stack).
 */
export function flattenedTemplate(stack: Stack): Template {
  const parent = Template.fromStack(stack).toJSON() as Json & { Resources: Record<string, Json> };
  const resources: Record<string, Json> = { ...parent.Resources };
  const outputs = new Map<string, unknown>();
  const nestedStacks = stack.node.findAll().filter((c): c is NestedStack => NestedStack.isNestedStack(c));
  for (const nested of nestedStacks) {
    const resourceId = stack.getLogicalId(nested.nestedStackResource as never);
    const parameters = ((resources[resourceId]?.Properties as Json | undefined)?.Parameters ?? {}) as Json;
    const template = Template.fromStack(nested).toJSON() as Json & {
      Resources: Record<string, Json>;
      Outputs?: Record<string, { Value: unknown }>;
    };
    const substitute = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(substitute);
      if (value && typeof value === 'object') {
        const object = value as Json;
        if (typeof object.Ref === 'string' && object.Ref in parameters) return parameters[object.Ref];
        return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, substitute(v)]));
      }
      return value;
    };
    for (const [id, resource] of Object.entries(template.Resources)) resources[id] = substitute(resource) as Json;
    for (const [name, output] of Object.entries(template.Outputs ?? {})) {
      outputs.set(`${resourceId}|Outputs.${name}`, substitute(output.Value));
    }
    delete resources[resourceId];
  }
  const resolveOutputs = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolveOutputs);
    if (value && typeof value === 'object') {
      const object = value as Json;
      const getAtt = object['Fn::GetAtt'];
      if (Array.isArray(getAtt) && outputs.has(`${getAtt[0]}|${getAtt[1]}`)) {
        return resolveOutputs(outputs.get(`${getAtt[0]}|${getAtt[1]}`));
      }
      return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, resolveOutputs(v)]));
    }
    return value;
  };
  return Template.fromJSON(resolveOutputs({ ...parent, Resources: resources }) as Json);
}
